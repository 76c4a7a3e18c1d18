namespace Mip.Stack.Sockets.Tcp;

/// <summary>A snapshot of one connection's counters and congestion state (like Linux's tcp_info).</summary>
public sealed record TcpSocketStats
{
    public long BytesSent { get; init; }
    public long BytesReceived { get; init; }
    public long BytesAcked { get; init; }
    public long SegmentsSent { get; init; }
    public long SegmentsReceived { get; init; }
    public long RetransmitsRto { get; init; }
    public long RetransmitsFast { get; init; }
    public long RetransmitsTlp { get; init; }
    public long DuplicateAcks { get; init; }
    public long OutOfOrderSegments { get; init; }
    public TimeSpan SmoothedRtt { get; init; }
    public TimeSpan RttVariance { get; init; }
    public TimeSpan Rto { get; init; }

    /// <summary>The receiver's RTT estimate used by receive-buffer auto-tuning (Linux's rcv_rtt); zero before a sample.</summary>
    public TimeSpan ReceiverRtt { get; init; }
    public long CongestionWindow { get; init; }
    public long SlowStartThreshold { get; init; }
    public long SendWindow { get; init; }
    public int ReceiveWindow { get; init; }
    public int ReceiveBufferBytes { get; init; }
    public int SendMss { get; init; }
    public bool InRecovery { get; init; }
    public bool SackEnabled { get; init; }
    public bool TimestampsEnabled { get; init; }
    public byte SendWindowScale { get; init; }
    public byte ReceiveWindowScale { get; init; }
}
