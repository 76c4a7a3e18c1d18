using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>A snapshot of one ARP cache entry. <paramref name="Age"/> is the time since it was last confirmed (or created, if incomplete).</summary>
public sealed record ArpEntryInfo(Ipv4Address Ip, MacAddress Mac, ArpEntryState State, TimeSpan Age);
