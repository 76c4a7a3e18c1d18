using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Tcp;

/// <summary>
/// The receiver's own RTT estimate, for receive-buffer auto-tuning (Linux's rcv_rtt_est): how long it takes from
/// offering window to data using it. A connection that only receives takes no sender-side samples after the
/// handshake, so its SRTT is that one sample for good, whatever the path does afterwards.
/// </summary>
/// <remarks>
/// <para>Two sources, as in Linux (tcp_rcv_rtt_measure and tcp_rcv_rtt_measure_ts):</para>
/// <para>Window: at t0 remember the right edge of the window we have offered. Bytes beyond it can only have been sent
/// after the peer saw an ACK we sent at or after t0, so when RCV.NXT passes that edge, now - t0 is at least one RTT:
/// an upper bound (loose when the sender is not window-limited). Such samples only ever lower the estimate, or a
/// stalled sender would inflate it.</para>
/// <para>Timestamps: the peer echoes the TSval of the latest in-window segment it got from us (TS.Recent, RFC 7323
/// §4.3), for a receiver that is our latest ACK; a data segment carrying that echo was sent after the ACK arrived,
/// so our clock minus TSecr is an RTT sample (RFC 7323 §4.1's RTTM, run in the data direction). The first segment
/// with a new echo gives it (later ones with the same echo left the peer later), and only full-sized ones: a small
/// segment may have waited for the application. A lower sample is taken at once, a higher one with gain 1/8, so an
/// application pause counts only until the next normal sample.</para>
/// </remarks>
internal sealed class ReceiverRttEstimator
{
    /// <summary>The resolution of our timestamp clock (<see cref="TcpSocket.TsClock"/> counts milliseconds).</summary>
    public static readonly TimeSpan TimestampGranularity = TimeSpan.FromMilliseconds(1);

    // Echoes older than this are not ours to trust (a wrapped or forged TSecr); the sender side uses the same bound.
    private const uint MaxEchoAgeMs = 60_000;

    private long _rttUs; // 0 = no sample yet
    private bool _measuring;
    private TcpSeq _edge;
    private Instant _startedAt;
    private bool _hasLastEcho;
    private uint _lastEcho;

    public bool HasSample => _rttUs > 0;

    /// <summary>The estimate, or zero before the first sample.</summary>
    public TimeSpan Rtt => TimeSpan.FromTicks(_rttUs * TimeSpan.TicksPerMicrosecond);

    /// <summary>
    /// In-order data advanced RCV.NXT to <paramref name="rcvNxt"/>; <paramref name="offeredEdge"/> is the right edge
    /// of the window offered so far (Linux's rcv_nxt + rcv_wnd, in our bookkeeping).
    /// </summary>
    public void OnInOrderData(TcpSeq rcvNxt, TcpSeq offeredEdge, Instant now)
    {
        if (_measuring)
        {
            if (rcvNxt <= _edge)
            {
                return;
            }
            // Instants are whole microseconds: a zero interval means "under 1 µs", kept as 1 so it counts as a sample.
            Lower(Math.Max(1, (now - _startedAt).Ticks / TimeSpan.TicksPerMicrosecond));
        }
        _measuring = true;
        _edge = offeredEdge;
        _startedAt = now;
    }

    /// <summary>
    /// A full-sized in-order data segment echoed <paramref name="tsEcr"/>; <paramref name="tsNow"/> is our timestamp
    /// clock now.
    /// </summary>
    public void OnTimestampEcho(uint tsEcr, uint tsNow)
    {
        if (tsEcr == 0 || (_hasLastEcho && tsEcr == _lastEcho))
        {
            return; // no echo, or not the first segment that carries it
        }
        _hasLastEcho = true;
        _lastEcho = tsEcr;
        uint ms = unchecked(tsNow - tsEcr);
        if (ms >= MaxEchoAgeMs)
        {
            return; // from the future (not a TSval we sent) or too old to mean anything
        }
        long granularityUs = TimestampGranularity.Ticks / TimeSpan.TicksPerMicrosecond;
        if (ms == 0)
        {
            // Sent and echoed within the same clock tick: the RTT is under 1 ms, and no more is known. The tick is
            // the tightest upper bound, so it is taken like a window sample: it can bring a larger estimate down to
            // 1 ms but never raise a finer one the window measurement found (a 0 taken at face value would claim a
            // zero RTT; Linux drops such samples, which leaves a stale large estimate standing).
            Lower(granularityUs);
            return;
        }
        long sampleUs = ms * granularityUs;
        if (!HasSample || sampleUs < _rttUs)
        {
            _rttUs = sampleUs;
        }
        else
        {
            _rttUs += (sampleUs - _rttUs) / 8;
        }
    }

    private void Lower(long sampleUs)
    {
        if (!HasSample || sampleUs < _rttUs)
        {
            _rttUs = sampleUs;
        }
    }
}
