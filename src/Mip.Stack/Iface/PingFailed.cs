using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>An echo request sent with <see cref="NetStack.SendPing"/> failed.</summary>
public sealed record PingFailed(Instant At, Ipv4Address Destination, ushort Id, ushort Seq, PingFailureReason Reason) : StackEvent(At);
