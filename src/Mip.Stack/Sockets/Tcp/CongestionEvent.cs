namespace Mip.Stack.Sockets.Tcp;

/// <summary>Why the sender is reducing its congestion window.</summary>
internal enum CongestionEvent : byte
{
    /// <summary>Third duplicate ACK (or SACK loss detection): enter fast recovery (RFC 5681 §3.2, RFC 6582 §3.2).</summary>
    FastRetransmit = 0,

    /// <summary>Retransmission timer expired: back to one segment and slow start (RFC 5681 §3.1, RFC 6298 §5).</summary>
    RetransmissionTimeout = 1,

    /// <summary>ECN-Echo received: reduce as for loss but retransmit nothing (RFC 3168 §6.1.2).</summary>
    Ecn = 2,
}
