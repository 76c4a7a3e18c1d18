using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>
/// An ICMP echo reply arrived. <paramref name="Rtt"/> comes from the timestamp <see cref="NetStack.SendPing"/> put in
/// the payload; it is null when the payload was too short to carry one or the echoed timestamp is implausible.
/// <paramref name="Bytes"/> is the echo data length (like ping's "64 bytes" minus the 8-byte ICMP header).
/// </summary>
public sealed record PingReplyReceived(Instant At, Ipv4Address From, ushort Id, ushort Seq, TimeSpan? Rtt, byte Ttl, int Bytes)
    : StackEvent(At);
