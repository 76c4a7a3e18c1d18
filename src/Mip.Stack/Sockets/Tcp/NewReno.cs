namespace Mip.Stack.Sockets.Tcp;

/// <summary>
/// Reno congestion avoidance (RFC 5681 §3.1) with appropriate byte counting (RFC 3465 §2.1) and NewReno fast
/// recovery (RFC 6582), on the shared mechanics of <see cref="CongestionControlBase"/>.
/// </summary>
internal sealed class NewReno : CongestionControlBase
{
    private long _bytesAcked;

    public NewReno(int mss)
        : base(mss)
    {
    }

    protected override void CongestionAvoidance(Instant now, long acked, long flight, TimeSpan smoothedRtt)
    {
        // RFC 3465 §2.1: count acknowledged bytes; each time a full cwnd has been acknowledged, grow by one SMSS.
        // The counter is capped at two windows so a flood of stretch ACKs cannot bank unbounded growth.
        _bytesAcked = Math.Min(_bytesAcked + acked, 2 * CongestionWindowLimits.MaxWindow);
        if (_bytesAcked >= CongestionWindow)
        {
            _bytesAcked -= CongestionWindow;
            CongestionWindow = CongestionWindowLimits.Add(CongestionWindow, Mss);
        }
    }

    protected override long ReduceOnCongestion(Instant now, CongestionEvent kind, long flight)
    {
        _bytesAcked = 0;
        // RFC 5681 §3.1 equation (4): ssthresh = max(FlightSize / 2, 2·SMSS).
        return Math.Max(flight / 2, CongestionWindowLimits.MinSlowStartThreshold(Mss));
    }
}
