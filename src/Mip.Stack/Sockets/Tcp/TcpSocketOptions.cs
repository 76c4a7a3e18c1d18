namespace Mip.Stack.Sockets.Tcp;

/// <summary>Per-socket TCP settings. Every default is documented; a listener's options apply to the sockets it accepts.</summary>
public sealed class TcpSocketOptions
{
    /// <summary>The defaults, shared (the type is immutable).</summary>
    public static TcpSocketOptions Default { get; } = new();

    /// <summary>Disables Nagle's algorithm (RFC 9293 §3.7.4). Default false: small segments wait for the ACK of the last.</summary>
    public bool NoDelay { get; init; }

    /// <summary>Initial send buffer (queued plus unacknowledged bytes); auto-tuned up to <see cref="MaxSendBufferBytes"/>. Default 1 MiB.</summary>
    public int SendBufferBytes { get; init; } = 1 << 20;

    /// <summary>
    /// Ceiling for send-buffer auto-tuning: when the buffer, not the congestion window, limits the flight it doubles up
    /// to this (Linux's tcp_wmem[2] idea). Set it to <see cref="SendBufferBytes"/> or lower for a fixed buffer.
    /// Default 8 MiB.
    /// </summary>
    public int MaxSendBufferBytes { get; init; } = 8 << 20;

    /// <summary>Initial receive buffer; auto-tuned up to <see cref="MaxReceiveBufferBytes"/>. Default 1 MiB.</summary>
    public int ReceiveBufferBytes { get; init; } = 1 << 20;

    /// <summary>Ceiling for receive-buffer auto-tuning; also sets the window scale we offer. Default 8 MiB.</summary>
    public int MaxReceiveBufferBytes { get; init; } = 8 << 20;

    /// <summary>Sends keepalive probes on an idle connection (RFC 1122 §4.2.3.6). Default false.</summary>
    public bool KeepAlive { get; init; }

    /// <summary>Idle time before the first keepalive probe. Default 2 h (RFC 1122 §4.2.3.6: no less than two hours).</summary>
    public TimeSpan KeepAliveIdle { get; init; } = TimeSpan.FromHours(2);

    /// <summary>Time between unanswered keepalive probes. Default 75 s (Linux).</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>Unanswered probes before the connection is dropped with <see cref="TcpError.TimedOut"/>. Default 9 (Linux).</summary>
    public int KeepAliveCount { get; init; } = 9;

    /// <summary>
    /// Abort when sent data stays unacknowledged this long (RFC 9293 §3.8.3 / RFC 5482). Default null: the
    /// retransmission limit (15 backoffs, like Linux's tcp_retries2) decides instead.
    /// </summary>
    public TimeSpan? UserTimeout { get; init; }

    /// <summary>How long an active open may take before it fails with <see cref="TcpError.TimedOut"/>. Default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Congestion controller. Default CUBIC.</summary>
    public CongestionAlgorithm CongestionControl { get; init; } = CongestionAlgorithm.Cubic;

    /// <summary>
    /// Null (default): <see cref="TcpSocket.Close"/> is graceful. <see cref="TimeSpan.Zero"/>: Close sends RST at once.
    /// Positive: graceful, but the connection is reset if the FIN exchange has not finished by then.
    /// </summary>
    public TimeSpan? Linger { get; init; }

    /// <summary>Lower bound of the RTO. Default 200 ms (Linux; RFC 6298 §2.4 says 1 s, see <see cref="RttEstimator"/>).</summary>
    public TimeSpan MinRto { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of the RTO. Default 60 s (RFC 6298 §2.5).</summary>
    public TimeSpan MaxRto { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest an ACK for in-order data is held back. Default 40 ms (Linux's minimum; RFC 9293 §3.8.6.3: under 0.5 s).</summary>
    public TimeSpan DelayedAckTimeout { get; init; } = TimeSpan.FromMilliseconds(40);

    /// <summary>Offer and use selective acknowledgments (RFC 2018). Default true.</summary>
    public bool Sack { get; init; } = true;

    /// <summary>Offer and use timestamps (RFC 7323 §3). Default true.</summary>
    public bool Timestamps { get; init; } = true;

    /// <summary>Offer and use window scaling (RFC 7323 §2). Default true.</summary>
    public bool WindowScaling { get; init; } = true;
}
