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

    private readonly bool _hyStartEnabled;
    private bool _hyStartDone;
    private bool _inCss;
    private int _cssRoundsDone;
    private long _roundRemaining;   // bytes still to be acknowledged before the current round ends
    private TimeSpan _lastRoundMinRtt = TimeSpan.MaxValue;
    private TimeSpan _currentRoundMinRtt = TimeSpan.MaxValue;
    private TimeSpan _cssBaselineMinRtt = TimeSpan.MaxValue;
    private int _rttSampleCount;

    /// <summary>True while HyStart++ is in Conservative Slow Start (RFC 9406 §4.2).</summary>
    public bool InConservativeSlowStart => _inCss;

    /// <summary>
    /// Slow start. HyStart++ (RFC 9406) runs only in the initial slow start (§4.3: "SHOULD use HyStart++ only for the
    /// initial slow start"); later slow starts use standard ABC. Rounds are delimited by bytes: a round ends once the
    /// bytes in flight when it began have been acknowledged, which is the RFC's "ACK beyond windowEnd = SND.NXT"
    /// without needing sequence numbers here.
    /// </summary>
    protected override void SlowStart(Instant now, long acked, long flight, TimeSpan? rttSample)
    {
        if (!_hyStartEnabled || _hyStartDone || !InInitialSlowStart)
        {
            base.SlowStart(now, acked, flight, rttSample);
            return;
        }

        // RFC 9406 §4.2: cwnd += min(N, L·SMSS), divided by CSS_GROWTH_DIVISOR in CSS.
        long increase = SlowStartIncrease(acked, HyStartL);
        CongestionWindow = CongestionWindowLimits.Add(CongestionWindow, _inCss ? increase / CssGrowthDivisor : increase);

        if (rttSample is TimeSpan sample && sample >= TimeSpan.Zero)
        {
            if (sample < _currentRoundMinRtt)
            {
                _currentRoundMinRtt = sample;
            }
            _rttSampleCount++;
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

        _roundRemaining -= acked;
        if (_roundRemaining <= 0)
        {
            StartRound(flight);
            if (_inCss && ++_cssRoundsDone >= CssRounds)
            {
                // RFC 9406 §4.2: after CSS_ROUNDS rounds of CSS, ssthresh = cwnd and congestion avoidance begins.
                SlowStartThreshold = CongestionWindow;
                EndHyStart();
            }
        }
    }

    private void StartRound(long flight)
    {
        _lastRoundMinRtt = _currentRoundMinRtt;
        _currentRoundMinRtt = TimeSpan.MaxValue;
        _rttSampleCount = 0;
        _roundRemaining = Math.Max(flight, 1);
    }

    /// <summary>HyStart++ is over for this connection (a congestion event or the end of CSS).</summary>
    private void EndHyStart()
    {
        _hyStartDone = true;
        _inCss = false;
    }
}
