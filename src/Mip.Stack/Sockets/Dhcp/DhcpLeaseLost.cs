using Mip.Stack.Iface;

namespace Mip.Stack.Sockets.Dhcp;

/// <summary>The client stopped using its lease and deconfigured the interface.</summary>
public sealed record DhcpLeaseLost(Instant At, DhcpLeaseLostReason Reason) : StackEvent(At);
