using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>An ARP cache entry was added, changed MAC, or expired.</summary>
public sealed record ArpEntryChanged(Instant At, ArpEntryChangeKind Kind, Ipv4Address Ip, MacAddress Mac) : StackEvent(At);
