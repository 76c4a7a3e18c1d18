using Mip.Stack.Iface;

namespace Mip.Stack.Sockets.Dhcp;

/// <summary>The client bound a new lease and configured the interface.</summary>
public sealed record DhcpLeaseAcquired(Instant At, DhcpLease Lease) : StackEvent(At);
