using Mip.Stack.Iface;

namespace Mip.Stack.Sockets.Dhcp;

/// <summary>A server extended the lease (RENEWING or REBINDING got a DHCPACK).</summary>
public sealed record DhcpLeaseRenewed(Instant At, DhcpLease Lease) : StackEvent(At);
