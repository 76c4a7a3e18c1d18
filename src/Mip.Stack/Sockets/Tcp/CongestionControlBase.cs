namespace Mip.Stack.Sockets.Tcp;

/// <summary>
/// What NewReno and CUBIC share: the initial window (RFC 6928), slow start with appropriate byte counting
/// (RFC 3465), and the fast recovery mechanics of RFC 5681 §3.2 / RFC 6582 §3.2 (inflate on duplicate ACKs, deflate on
/// partial ACKs, exit to min(ssthresh, FlightSize + SMSS)). Subclasses decide the new ssthresh on congestion and the
/// growth in congestion avoidance. Every update clamps to [SMSS, <see cref="CongestionWindowLimits.MaxWindow"/>].
/// </summary>
internal abstract class CongestionControlBase : ICongestionControl
{
    /// <summary>RFC 3465 §2.2: L = 2·SMSS in slow start.</summary>
    protected const int AbcLimitSegments = 2;

    protected CongestionControlBase(int mss)
    {
        Mss = CongestionWindowLimits.ClampMss(mss);
        CongestionWindow = CongestionWindowLimits.InitialWindow(Mss);
        // RFC 5681 §3.1: the initial ssthresh SHOULD be arbitrarily high.
        SlowStartThreshold = CongestionWindowLimits.MaxWindow;
    }

    public int Mss { get; private set; }
    public long CongestionWindow { get; protected set; }
    public long SlowStartThreshold { get; protected set; }
    public bool InRecovery { get; private set; }

    /// <summary>True from an RTO until slow start ends: ABC uses L = 1·SMSS then (RFC 3465 §2.3).</summary>
    protected bool AfterRto { get; private set; }

    /// <summary>ssthresh is still the initial "arbitrarily high" value: no congestion seen yet.</summary>
    protected bool InInitialSlowStart => SlowStartThreshold == CongestionWindowLimits.MaxWindow;

    public void SetMss(int mss)
    {
        Mss = CongestionWindowLimits.ClampMss(mss);
        CongestionWindow = Math.Clamp(CongestionWindow, Mss, CongestionWindowLimits.MaxWindow);
        SlowStartThreshold = Math.Clamp(SlowStartThreshold, CongestionWindowLimits.MinSlowStartThreshold(Mss),
            CongestionWindowLimits.MaxWindow);
    }

    public void OnAck(Instant now, long ackedBytes, long bytesInFlight, TimeSpan? rttSample, TimeSpan smoothedRtt,
        bool cwndLimited = true)
    {
        long acked = CongestionWindowLimits.ClampBytes(ackedBytes);
        long flight = CongestionWindowLimits.ClampBytes(bytesInFlight);
        if (acked == 0)
        {
            return;
        }
        if (InRecovery)
        {
            // RFC 6582 §3.2 step 5 (partial ACK): deflate by the newly acknowledged data, add back one SMSS if at
            // least one SMSS was acknowledged, so about ssthresh worth of data stays in flight.
            long deflated = CongestionWindow - acked + (acked >= Mss ? Mss : 0);
            CongestionWindow = Math.Clamp(deflated, Mss, CongestionWindowLimits.MaxWindow);
            return;
        }
        if (CongestionWindow < SlowStartThreshold)
        {
            SlowStart(now, acked, flight, rttSample, cwndLimited);
        }
        else if (cwndLimited)
        {
            AfterRto = false;
            CongestionAvoidance(now, acked, flight, smoothedRtt);
        }
    }

    public void OnDuplicateAck(Instant now)
    {
        if (InRecovery)
        {
            // RFC 5681 §3.2 step 4 / RFC 6582 §3.2 step 3: each duplicate ACK means a segment left the network.
            CongestionWindow = CongestionWindowLimits.Add(CongestionWindow, Mss);
        }
    }

    public void OnCongestionEvent(Instant now, CongestionEvent kind, long bytesInFlight)
    {
        if (kind == CongestionEvent.FastRetransmit && InRecovery)
        {
            return; // RFC 6582 §3.2 step 1: one reduction per recovery episode
        }
        long flight = CongestionWindowLimits.ClampBytes(bytesInFlight);
        long ssthresh = ReduceOnCongestion(now, kind, flight);
        SlowStartThreshold = Math.Clamp(ssthresh, CongestionWindowLimits.MinSlowStartThreshold(Mss),
            CongestionWindowLimits.MaxWindow);
        switch (kind)
        {
            case CongestionEvent.FastRetransmit:
                // RFC 5681 §3.2 step 3 / RFC 6582 §3.2 step 2: cwnd = ssthresh + 3·SMSS (three segments have left).
                CongestionWindow = CongestionWindowLimits.Add(SlowStartThreshold, 3L * Mss);
                InRecovery = true;
                break;
            case CongestionEvent.RetransmissionTimeout:
                // RFC 5681 §3.1: after an RTO cwnd is the loss window, one segment; any recovery is abandoned.
                CongestionWindow = Mss;
                InRecovery = false;
                AfterRto = true;
                break;
            default:
                // RFC 3168 §6.1.2: halve cwnd and ssthresh, without retransmitting or inflating.
                CongestionWindow = SlowStartThreshold;
                break;
        }
    }

    public void OnRecoveryExit(Instant now, long bytesInFlight)
    {
        if (!InRecovery)
        {
            return;
        }
        // RFC 6582 §3.2 step 6, option (1): cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS), which avoids a burst
        // when little is in flight.
        long flight = CongestionWindowLimits.ClampBytes(bytesInFlight);
        CongestionWindow = Math.Clamp(Math.Min(SlowStartThreshold, Math.Max(flight, Mss) + Mss), Mss,
            CongestionWindowLimits.MaxWindow);
        InRecovery = false;
        OnRecoveryExited(now);
    }

    /// <summary>
    /// Standard slow start with ABC: cwnd += min(N, L·SMSS) (RFC 5681 §3.1 eq. 2, RFC 3465 §2.2-2.3), only when
    /// <paramref name="grow"/> (the window was used, RFC 7661 §4.1); subclasses may still learn from the ACK otherwise.
    /// </summary>
    protected virtual void SlowStart(Instant now, long acked, long flight, TimeSpan? rttSample, bool grow)
    {
        if (grow)
        {
            CongestionWindow = CongestionWindowLimits.Add(CongestionWindow, SlowStartIncrease(acked, AbcLimit));
        }
    }

    /// <summary>The ABC limit L in segments: 2, or 1 after an RTO (RFC 3465 §2.3).</summary>
    protected int AbcLimit => AfterRto ? 1 : AbcLimitSegments;

    protected long SlowStartIncrease(long acked, int limitSegments) => Math.Min(acked, (long)limitSegments * Mss);

    /// <summary>Growth once cwnd reaches ssthresh.</summary>
    protected abstract void CongestionAvoidance(Instant now, long acked, long flight, TimeSpan smoothedRtt);

    /// <summary>Updates algorithm state for a congestion event and returns the new ssthresh (clamped by the caller).</summary>
    protected abstract long ReduceOnCongestion(Instant now, CongestionEvent kind, long flight);

    /// <summary>Hook for algorithms that restart an epoch when recovery ends.</summary>
    protected virtual void OnRecoveryExited(Instant now)
    {
    }
}
