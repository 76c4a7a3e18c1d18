namespace Mip.Stack.Sockets.Tcp;

/// <summary>
/// CUBIC congestion control (RFC 9438) with HyStart++ (RFC 9406) for the initial slow start. Windows are bytes
/// (long, clamped); the cubic function is evaluated in segments and seconds as the RFC writes it, in doubles that are
/// clamped before they reach the window, so no input (huge times, zero RTT, giant ACKs) can overflow or produce NaN.
/// </summary>
/// <remarks>
/// Fast recovery mechanics (inflation, partial ACKs, exit) are the RFC 6582 ones from
/// <see cref="CongestionControlBase"/>; RFC 9438 §4.6 defines only the multiplicative decrease.
/// </remarks>
internal sealed partial class Cubic : CongestionControlBase
{
    /// <summary>RFC 9438 §5: C = 0.4.</summary>
    public const double C = 0.4;

    /// <summary>RFC 9438 §4.6: β_cubic = 0.7.</summary>
    public const double Beta = 0.7;

    /// <summary>RFC 9438 §4.3: α_cubic = 3(1 − β)/(1 + β), Reno-friendly additive increase.</summary>
    public static readonly double Alpha = 3 * (1 - Beta) / (1 + Beta);

    private Instant? _epochStart;   // start of the current congestion avoidance stage (t_epoch)
    private double _wMax;           // segments; window just before the last reduction (after fast convergence)
    private double _origin;         // segments; the plateau of the current cubic curve
    private double _k;              // seconds
    private double _wEst;           // segments; Reno-friendly estimate
    private double _cwndPrior;      // segments; cwnd before the last reduction
    private double _carryBytes;     // sub-byte growth not yet applied
    private bool _resetAfterRto;

    public Cubic(int mss, bool useHyStart = true)
        : base(mss)
    {
        _hyStartEnabled = useHyStart;
    }

    /// <summary>Current W_max in segments (after fast convergence), for diagnostics and tests.</summary>
    public double WMax => _wMax;

    /// <summary>K in seconds for the current congestion avoidance epoch (RFC 9438 §4.2 eq. 2).</summary>
    public double K => _k;

    /// <summary>W_cubic(t) in segments (RFC 9438 §4.2 eq. 1) for the current epoch, t seconds after its start.</summary>
    public double WCubic(double t)
    {
        double d = t - _k;
        return _origin + (C * d * d * d); // a cube, not Math.Pow: this runs on every ACK in congestion avoidance
    }

    protected override void CongestionAvoidance(Instant now, long acked, long flight, TimeSpan smoothedRtt)
    {
        double cwnd = (double)CongestionWindow / Mss;
        if (_epochStart is null)
        {
            StartEpoch(now, cwnd);
        }
        // Elapsed time and RTT in seconds, bounded so the cube stays finite (an hour is far past any plateau).
        // Computed in doubles from the raw microseconds: Instant subtraction could wrap for absurd inputs.
        double t = Math.Clamp(((double)now.Microseconds - _epochStart!.Value.Microseconds) / 1e6, 0, 3600);
        double rtt = Math.Clamp(smoothedRtt.TotalSeconds, 0, 60);

        // RFC 9438 §4.2: target = W_cubic(t + RTT), bounded to [cwnd, 1.5·cwnd].
        double target = Math.Clamp(WCubic(t + rtt), cwnd, 1.5 * cwnd);

        // RFC 9438 §4.3: W_est grows by α·(segments acked)/cwnd, with α = 1 once W_est reaches cwnd_prior.
        double segmentsAcked = (double)acked / Mss;
        double alpha = _wEst >= _cwndPrior ? 1.0 : Alpha;
        _wEst = Math.Min(_wEst + (alpha * segmentsAcked / cwnd), CongestionWindowLimits.MaxWindow);

        double increaseBytes;
        if (WCubic(t) < _wEst)
        {
            // Reno-friendly region (RFC 9438 §4.3): cwnd follows W_est (never shrinks here).
            increaseBytes = Math.Max(0, (_wEst - cwnd) * Mss);
        }
        else
        {
            // Concave and convex regions (RFC 9438 §4.4, §4.5): (target − cwnd)/cwnd per acknowledged segment.
            increaseBytes = (target - cwnd) / cwnd * acked;
        }
        ApplyIncrease(increaseBytes);
    }

    protected override long ReduceOnCongestion(Instant now, CongestionEvent kind, long flight)
    {
        double cwnd = (double)CongestionWindow / Mss;
        // RFC 9438 §4.7 fast convergence: a loss below the previous W_max means a new flow is taking bandwidth;
        // release some by remembering a lower plateau.
        _wMax = cwnd < _wMax ? cwnd * (1 + Beta) / 2 : cwnd;
        _cwndPrior = cwnd;
        _epochStart = null;
        _carryBytes = 0;
        // RFC 9438 §4.8: after a timeout the next epoch uses K = 0 and W_max = cwnd at its start.
        _resetAfterRto = kind == CongestionEvent.RetransmissionTimeout;
        EndHyStart();
        // RFC 9438 §4.6: ssthresh = flight_size · β_cubic.
        return (long)(flight * Beta);
    }

    protected override void OnRecoveryExited(Instant now) => _epochStart = null;

    private void StartEpoch(Instant now, double cwnd)
    {
        _epochStart = now;
        _carryBytes = 0;
        _wEst = cwnd; // RFC 9438 §4.3: W_est = cwnd_epoch at the start of the stage
        if (_resetAfterRto || _wMax <= cwnd)
        {
            // No plateau above us (first epoch, after an RTO, or already past W_max): start at the inflection.
            _k = 0;
            _origin = cwnd;
            _resetAfterRto = false;
        }
        else
        {
            // RFC 9438 §4.2 eq. 2: K = cbrt((W_max − cwnd_epoch)/C).
            _k = Math.Cbrt((_wMax - cwnd) / C);
            _origin = _wMax;
        }
    }

    private void ApplyIncrease(double bytes)
    {
        if (!(bytes > 0))
        {
            return; // also rejects NaN
        }
        _carryBytes = Math.Min(_carryBytes + bytes, CongestionWindowLimits.MaxWindow);
        long whole = (long)_carryBytes;
        _carryBytes -= whole;
        CongestionWindow = CongestionWindowLimits.Add(CongestionWindow, whole);
    }
}
