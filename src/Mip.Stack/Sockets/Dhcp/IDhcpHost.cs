using Mip.Stack.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dhcp;

/// <summary>What the DHCP client needs from the stack. NetStack implements it; tests fake it.</summary>
internal interface IDhcpHost
{
    MacAddress Mac { get; }

    /// <summary>
    /// Sends a DHCP message (the UDP payload) from port 68 to port 67. <paramref name="source"/> is 0.0.0.0 until
    /// bound (RFC 2131 §4.1); a broadcast destination goes to the Ethernet broadcast address, a unicast one (renewal
    /// at T1) is routed and ARP-resolved normally.
    /// </summary>
    void SendDhcp(ReadOnlySpan<byte> payload, Ipv4Address source, Ipv4Address destination);

    /// <summary>
    /// Whether a datagram from <paramref name="source"/> to <paramref name="destination"/> is still parked until ARP
    /// resolves its next hop (false once it has been sent, or dropped because resolution failed).
    /// </summary>
    bool IsWaitingForArp(Ipv4Address source, Ipv4Address destination);

    /// <summary>Sends an ARP probe for <paramref name="target"/> with sender IP 0.0.0.0 (RFC 5227 §2.1.1).</summary>
    void SendArpProbe(Ipv4Address target);

    /// <summary>Sends a gratuitous ARP announcement for <paramref name="address"/> (RFC 5227 §2.3).</summary>
    void SendArpAnnouncement(Ipv4Address address);

    /// <summary>Configures the interface from a lease, or deconfigures it when <paramref name="config"/> is null.</summary>
    void ApplyConfig(Ipv4Config? config, Instant now);

    /// <summary>Publishes a DHCP event (lease acquired/renewed/lost).</summary>
    void Publish(StackEvent ev);
}
