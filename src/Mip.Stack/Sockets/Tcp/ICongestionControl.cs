namespace Mip.Stack.Sockets.Tcp;

/// <summary>
/// A sender's congestion controller. All quantities are bytes in 64-bit integers, saturating: the window never
/// exceeds <see cref="CongestionWindowLimits.MaxWindow"/> and never falls below one segment, whatever is passed in.
/// </summary>
/// <remarks>
/// Contract with the socket (which owns sequence numbers, duplicate-ACK counting and the recovery point):
/// <list type="bullet">
/// <item><see cref="OnAck"/> for every ACK that acknowledges new data, outside or inside recovery (inside it is a
/// partial ACK, RFC 6582 §3.2 step 5); not for the ACK that ends recovery, which is <see cref="OnRecoveryExit"/>.</item>
/// <item><see cref="OnDuplicateAck"/> for each further duplicate ACK while in fast recovery.</item>
/// <item><see cref="OnCongestionEvent"/> once per congestion episode (once per RTT at most).</item>
/// </list>
/// <c>bytesInFlight</c> is FlightSize (RFC 5681 §2) after the ACK has been processed.
/// </remarks>
internal interface ICongestionControl
{
    /// <summary>Sender maximum segment size in bytes (SMSS).</summary>
    int Mss { get; }

    /// <summary>cwnd in bytes.</summary>
    long CongestionWindow { get; }

    /// <summary>ssthresh in bytes (<see cref="CongestionWindowLimits.MaxWindow"/> until the first congestion event).</summary>
    long SlowStartThreshold { get; }

    /// <summary>True between a fast-retransmit congestion event and <see cref="OnRecoveryExit"/>.</summary>
    bool InRecovery { get; }

    /// <summary>Updates SMSS (path MTU change); cwnd and ssthresh keep their byte values but stay at least one SMSS.</summary>
    void SetMss(int mss);

    /// <summary>
    /// New data acknowledged. <paramref name="rttSample"/> is this ACK's RTT measurement if it yielded one;
    /// <paramref name="smoothedRtt"/> the current SRTT (zero if unknown). <paramref name="cwndLimited"/> false means
    /// the sender did not use its window (RFC 7661 §4.1): the window must not grow, but the ACK still counts for
    /// round and RTT tracking (HyStart++ rounds are delimited by the acknowledged sequence space).
    /// </summary>
    void OnAck(Instant now, long ackedBytes, long bytesInFlight, TimeSpan? rttSample, TimeSpan smoothedRtt,
        bool cwndLimited = true);

    /// <summary>A duplicate ACK during fast recovery: one more segment has left the network.</summary>
    void OnDuplicateAck(Instant now);

    /// <summary>Loss or ECN signal: reduce the window.</summary>
    void OnCongestionEvent(Instant now, CongestionEvent kind, long bytesInFlight);

    /// <summary>The ACK covering the recovery point arrived (RFC 6582 §3.2 step 6).</summary>
    void OnRecoveryExit(Instant now, long bytesInFlight);
}
