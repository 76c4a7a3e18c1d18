namespace Mip.Stack.Sockets.Tcp;

internal sealed partial class Cubic
{
    // RFC 9406 §4.3 constants.
    private static readonly TimeSpan MinRttThresh = TimeSpan.FromMilliseconds(4);
    private static readonly TimeSpan MaxRttThresh = TimeSpan.FromMilliseconds(16);
    private const int MinRttDivisor = 8;
    private const int NRttSample = 8;
    private const int CssGrowthDivisor = 4;
    private const int CssRounds = 5;

    /// <summary>RFC 9406 §4.3: L = 8 for a sender that does not pace (ours does not).</summary>
    private const int HyStartL = 8;

    // ACK-train exit (Ha and Rhee's HyStart, Linux tcp_cubic.c HYSTART_ACK_TRAIN): ACKs closer together than this
    // belong to one train; and the heuristic waits for a window big enough that a train means something.
    private static readonly TimeSpan AckTrainDelta = TimeSpan.FromMilliseconds(2);
    private const int AckTrainLowWindowSegments = 16;

    /// <summary>
    /// Added to the minimum RTT before halving it in the ACK-train test: the resolution of our RTT samples, whose
    /// timestamp clock ticks in milliseconds (<see cref="TcpSocket"/>'s TsClock), so a minimum of 0 ms means "under a
    /// millisecond", not "none". Without it a sub-millisecond path (a LAN, the in-memory link) ends slow start at the
    /// first train longer than 0 µs, i.e. at 16 segments. Linux adds the same kind of cushion (hystart_ack_delay,
    /// at most 1 ms) for short-RTT flows; RFC 9406 §4.3 guards its own delay test the same way with MIN_RTT_THRESH.
    /// </summary>
    private static readonly TimeSpan AckTrainRttResolution = TimeSpan.FromMilliseconds(1);

    private readonly bool _hyStartEnabled;
    private bool _hyStartDone;
    private bool _inCss;
    private int _cssRoundsDone;
    private long _roundRemaining;   // bytes still to be acknowledged up to windowEnd; the round ends past it
    private TimeSpan _lastRoundMinRtt = TimeSpan.MaxValue;
    private TimeSpan _currentRoundMinRtt = TimeSpan.MaxValue;
    private TimeSpan _cssBaselineMinRtt = TimeSpan.MaxValue;
    private int _rttSampleCount;
    private TimeSpan _minRtt = TimeSpan.MaxValue; // smallest RTT sample of the connection (Linux's delay_min)
    private Instant _roundStart;                  // the ACK that began the current round
    private Instant _lastTrainAck;                // last ACK of the train that began with the round
    private bool _roundStarted;

    /// <summary>True while HyStart++ is in Conservative Slow Start (RFC 9406 §4.2).</summary>
    public bool InConservativeSlowStart => _inCss;

    /// <summary>
    /// Slow start. HyStart++ (RFC 9406) runs only in the initial slow start (§4.3: "SHOULD use HyStart++ only for the
    /// initial slow start"); later slow starts use standard ABC. Rounds follow RFC 9406 §4.2 in bytes: windowEnd is
    /// SND.NXT when a round begins (the flight then, before this ACK's answer is sent), and the round ends with the
    /// first ACK that acknowledges data beyond it, which is the first ACK of the next flight's ACK train, as in
    /// Linux's <c>after(snd_una, end_seq)</c>. Every ACK in slow start must be passed in, also those that may not
    /// grow the window, or the byte count would drift from the sequence space.
    /// </summary>
    /// <remarks>
    /// RFC 9406's signal, the minimum RTT of a round, cannot see the queue an unpaced sender builds while its flight is
    /// below the path's BDP: each round's ACK train releases twice its data at line rate, the queue grows within the
    /// train and drains in the idle gap before the next one, so the first ACKs of every round (which set the minimum)
    /// still see an empty queue; a buffer smaller than the burst overflows before any round's minimum has moved. So, as
    /// Linux's CUBIC does by default, the ACK-train test of the original HyStart (Ha and Rhee, 2008) runs next to it:
    /// when the ACKs of one round arrive back to back for longer than half the minimum RTT, the flight already spans
    /// about half the BDP at line rate and the next doubling would put a BDP of burst into the queue; slow start ends
    /// there (ssthresh = cwnd).
    /// </remarks>
    protected override void SlowStart(Instant now, long acked, long flight, TimeSpan? rttSample, bool grow)
    {
        if (!_hyStartEnabled || _hyStartDone || !InInitialSlowStart)
        {
            base.SlowStart(now, acked, flight, rttSample, grow);
            return;
        }

        // RFC 9406 §4.2: a round ends when an ACK passes windowEnd; the next begins with that ACK.
        _roundRemaining -= acked;
        if (_roundRemaining < 0)
        {
            StartRound(now, flight);
            if (_inCss && ++_cssRoundsDone >= CssRounds)
            {
                // RFC 9406 §4.2: after CSS_ROUNDS rounds of CSS, ssthresh = cwnd and congestion avoidance begins.
                SlowStartThreshold = CongestionWindow;
                EndHyStart();
                return;
            }
        }

        if (grow)
        {
            // RFC 9406 §4.2: cwnd += min(N, L·SMSS), divided by CSS_GROWTH_DIVISOR in CSS.
            long increase = SlowStartIncrease(acked, HyStartL);
            CongestionWindow = CongestionWindowLimits.Add(CongestionWindow, _inCss ? increase / CssGrowthDivisor : increase);
        }

        if (rttSample is TimeSpan sample && sample >= TimeSpan.Zero)
        {
            _currentRoundMinRtt = Min(_currentRoundMinRtt, sample);
            _minRtt = Min(_minRtt, sample);
            _rttSampleCount++;
        }

        if (AckTrainSpansHalfTheMinRtt(now))
        {
            SlowStartThreshold = CongestionWindow;
            EndHyStart();
            return;
        }

        if (_rttSampleCount >= NRttSample && _currentRoundMinRtt != TimeSpan.MaxValue)
        {
            if (!_inCss && _lastRoundMinRtt != TimeSpan.MaxValue)
            {
                // RttThresh = clamp(lastRoundMinRTT / 8, 4 ms, 16 ms).
                var threshold = TimeSpan.FromTicks(Math.Clamp(_lastRoundMinRtt.Ticks / MinRttDivisor,
                    MinRttThresh.Ticks, MaxRttThresh.Ticks));
                if (_currentRoundMinRtt >= _lastRoundMinRtt + threshold)
                {
                    _cssBaselineMinRtt = _currentRoundMinRtt;
                    _inCss = true;
                    _cssRoundsDone = -1; // the partial round in which CSS began does not count as a CSS round
                }
            }
            else if (_inCss && _currentRoundMinRtt < _cssBaselineMinRtt)
            {
                // The RTT increase was spurious: back to slow start (RFC 9406 §4.2).
                _cssBaselineMinRtt = TimeSpan.MaxValue;
                _inCss = false;
            }
        }
    }

    /// <summary>
    /// The ACK-train test (Linux's hystart_update): an ACK within <see cref="AckTrainDelta"/> of the previous one
    /// extends the train that began with the round; the train lasting more than half the minimum RTT (taken at the
    /// top of its measurement error, <see cref="AckTrainRttResolution"/>) means the sender got a BDP's worth of ACKs
    /// at line rate. Half is Linux's choice for an unpaced sender, whose next round would send twice that burst.
    /// </summary>
    private bool AckTrainSpansHalfTheMinRtt(Instant now)
    {
        if (!_roundStarted || _minRtt == TimeSpan.MaxValue || CongestionWindow < (long)AckTrainLowWindowSegments * Mss)
        {
            return false;
        }
        var gap = now - _lastTrainAck;
        if (gap < TimeSpan.Zero || gap > AckTrainDelta)
        {
            return false; // the train ended at a gap; later ACKs of this round start no new one
        }
        _lastTrainAck = now;
        return now - _roundStart > (_minRtt + AckTrainRttResolution) / 2;
    }

    private void StartRound(Instant now, long flight)
    {
        _roundStarted = true;
        _roundStart = now;
        _lastTrainAck = now;
        _lastRoundMinRtt = _currentRoundMinRtt;
        _currentRoundMinRtt = TimeSpan.MaxValue;
        _rttSampleCount = 0;
        _roundRemaining = flight;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>HyStart++ is over for this connection (a congestion event or the end of CSS).</summary>
    private void EndHyStart()
    {
        _hyStartDone = true;
        _inCss = false;
    }
}
