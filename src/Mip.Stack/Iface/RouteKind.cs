using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>How an outgoing datagram reaches its destination.</summary>
internal enum RouteKind : byte
{
    /// <summary>No route: unconfigured, or off-link with no usable gateway.</summary>
    None,
    /// <summary>Limited or subnet-directed broadcast: Ethernet broadcast, no ARP.</summary>
    Broadcast,
    /// <summary>IPv4 multicast: mapped Ethernet group address (RFC 1112 §6.4), no ARP.</summary>
    Multicast,
    /// <summary>Destination on the local subnet: ARP for it directly.</summary>
    OnLink,
    /// <summary>Off-link: ARP for the default gateway.</summary>
    Gateway,
}

/// <summary>A routing decision: the kind, the next hop to resolve, or why there is no route.</summary>
internal readonly record struct Route(RouteKind Kind, Ipv4Address NextHop, StackError Error);
