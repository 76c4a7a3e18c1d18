using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Tcp;

/// <summary>
/// Retransmission timeout computation (RFC 6298) with Karn's rule for choosing samples. Arithmetic is in whole
/// microseconds (the resolution of <see cref="Instant"/>) on 64-bit integers, so results are exact and reproducible.
/// </summary>
/// <remarks>
/// <para>Minimum RTO: RFC 6298 §2.4 says 1 s, written when clocks were coarse and delayed ACKs long. We default to
/// 200 ms like Linux (TCP_RTO_MIN) because a 1 s floor makes every tail loss on a LAN cost a second, and RFC 6298
/// §2.4 itself notes the floor is conservative; the value is configurable for those who want the RFC's.</para>
/// <para>Sampling: either the classic one-segment timer (<see cref="StartTiming"/> / <see cref="OnAck"/>), which
/// Karn's algorithm (RFC 6298 §3) voids when the timed segment is retransmitted, or timestamp echoes
/// (<see cref="AddSample"/> with the RTT from TSecr, RFC 7323 §4), which stay unambiguous across retransmissions.
/// With one sample per ACK, pass the expected samples per RTT so the gains shrink as RFC 7323 Appendix G
/// describes.</para>
/// </remarks>
internal sealed class RttEstimator
{
    public static readonly TimeSpan DefaultInitialRto = TimeSpan.FromSeconds(1);   // RFC 6298 §2.1
    public static readonly TimeSpan DefaultMinRto = TimeSpan.FromMilliseconds(200); // Linux; RFC 6298 §2.4 says 1 s
    public static readonly TimeSpan DefaultMaxRto = TimeSpan.FromSeconds(60);        // RFC 6298 §2.5: at least 60 s
    public static readonly TimeSpan DefaultClockGranularity = TimeSpan.FromMilliseconds(1);

    /// <summary>RFC 6298 §5.7: the RTO to use once data flows after a SYN had to be retransmitted.</summary>
    public static readonly TimeSpan SynLossRto = TimeSpan.FromSeconds(3);

    private const int K = 4; // RFC 6298 §2
    private const long MaxSampleUs = 86_400_000_000; // one day
    private const int MaxExpectedSamples = 1 << 16;

    private readonly long _minUs;
    private readonly long _maxUs;
    private readonly long _granularityUs;
    private long _srttUs;
    private long _rttvarUs;
    private long _baseRtoUs;
    private bool _timing;
    private TcpSeq _timedSeq;
    private Instant _timedAt;

    public RttEstimator(TimeSpan? minRto = null, TimeSpan? maxRto = null, TimeSpan? clockGranularity = null,
        TimeSpan? initialRto = null)
    {
        _minUs = Micros(minRto ?? DefaultMinRto);
        _maxUs = Math.Max(_minUs, Micros(maxRto ?? DefaultMaxRto));
        _granularityUs = Math.Max(1, Micros(clockGranularity ?? DefaultClockGranularity));
        _baseRtoUs = Math.Clamp(Micros(initialRto ?? DefaultInitialRto), _minUs, _maxUs);
    }

    /// <summary>True once the first measurement has been taken (RFC 6298 §2.2).</summary>
    public bool HasSample { get; private set; }

    public TimeSpan SmoothedRtt => FromMicros(_srttUs);

    /// <summary>The most recent raw measurement R (what slow-start exit heuristics need, not the smoothed SRTT).</summary>
    public TimeSpan LatestRtt { get; private set; }
    public TimeSpan RttVariance => FromMicros(_rttvarUs);

    /// <summary>Number of consecutive backoffs since the last new sample (RFC 6298 §5.5).</summary>
    public int BackoffCount { get; private set; }

    /// <summary>The RTO to arm the timer with: the computed RTO doubled per backoff, capped at the maximum.</summary>
    public TimeSpan Rto
    {
        get
        {
            // Saturating shift: stop doubling once past the cap (at most 62 doublings could fit a long anyway).
            long rto = _baseRtoUs;
            for (int i = 0; i < BackoffCount && rto < _maxUs; i++)
            {
                rto *= 2;
            }
            return FromMicros(Math.Min(rto, _maxUs));
        }
    }

    /// <summary>
    /// Takes an RTT measurement (RFC 6298 §2.2, §2.3). <paramref name="expectedSamples"/> is how many samples arrive
    /// per RTT when every ACK is measured (RFC 7323 Appendix G: ceil(FlightSize / (2·SMSS))); the gains become
    /// alpha/expected and beta/expected so SRTT still moves about as fast as with one sample per RTT.
    /// A new sample also ends any backoff (RFC 6298 §5.7 note: the RTO is recomputed from fresh state).
    /// </summary>
    public void AddSample(TimeSpan rtt, int expectedSamples = 1)
    {
        // Bounds keep the products below 2^63 whatever the caller passes: no real RTT is a day long, and more than
        // 2^16 samples per RTT would make each one count for nothing anyway.
        long r = Math.Clamp(Micros(rtt), 0, MaxSampleUs);
        long n = Math.Clamp(expectedSamples, 1, MaxExpectedSamples);
        LatestRtt = FromMicros(r);
        if (!HasSample)
        {
            // RFC 6298 §2.2: SRTT <- R, RTTVAR <- R/2.
            _srttUs = r;
            _rttvarUs = r / 2;
            HasSample = true;
        }
        else
        {
            // RFC 6298 §2.3 with alpha = 1/8, beta = 1/4 (divided by n, RFC 7323 Appendix G); RTTVAR first,
            // using the old SRTT, as the RFC orders it.
            long delta = Math.Abs(_srttUs - r);
            _rttvarUs = ((_rttvarUs * ((4 * n) - 1)) + delta) / (4 * n);
            _srttUs = ((_srttUs * ((8 * n) - 1)) + r) / (8 * n);
        }
        // RFC 6298 §2.3: RTO <- SRTT + max(G, K*RTTVAR), then §2.4/§2.5 bounds.
        _baseRtoUs = Math.Clamp(_srttUs + Math.Max(_granularityUs, K * _rttvarUs), _minUs, _maxUs);
        BackoffCount = 0;
    }

    /// <summary>
    /// The retransmission timer expired: double the RTO (RFC 6298 §5.5), saturating at the maximum, and stop timing
    /// (Karn: the timed segment is about to be retransmitted).
    /// </summary>
    public void Backoff()
    {
        if (Rto < FromMicros(_maxUs))
        {
            BackoffCount++;
        }
        _timing = false;
    }

    /// <summary>
    /// A SYN was retransmitted and no RTT sample exists: use at least 3 s once the connection is established
    /// (RFC 6298 §5.7).
    /// </summary>
    public void OnSynRetransmitted()
    {
        if (!HasSample)
        {
            _baseRtoUs = Math.Clamp(Math.Max(_baseRtoUs, Micros(SynLossRto)), _minUs, _maxUs);
        }
        BackoffCount = 0;
    }

    /// <summary>
    /// Starts timing the segment ending at <paramref name="endSeq"/> sent at <paramref name="now"/>, unless another
    /// segment is already being timed (one measurement per RTT, RFC 6298 §3). Only call it for new data, never for a
    /// retransmission.
    /// </summary>
    public void StartTiming(TcpSeq endSeq, Instant now)
    {
        if (_timing)
        {
            return;
        }
        _timing = true;
        _timedSeq = endSeq;
        _timedAt = now;
    }

    /// <summary>True while a segment is being timed.</summary>
    public bool IsTiming => _timing;

    /// <summary>
    /// Karn's algorithm (RFC 6298 §3): data was retransmitted, so an ACK covering the timed segment could be for
    /// either copy; drop the measurement.
    /// </summary>
    public void OnRetransmit() => _timing = false;

    /// <summary>
    /// A cumulative ACK arrived. If it covers the timed segment the RTT is sampled; returns whether it did.
    /// </summary>
    public bool OnAck(TcpSeq ack, Instant now)
    {
        if (!_timing || ack < _timedSeq)
        {
            return false;
        }
        _timing = false;
        AddSample(now - _timedAt);
        return true;
    }

    private static long Micros(TimeSpan t) => t.Ticks / TimeSpan.TicksPerMicrosecond;

    private static TimeSpan FromMicros(long us) => TimeSpan.FromTicks(us * TimeSpan.TicksPerMicrosecond);
}
