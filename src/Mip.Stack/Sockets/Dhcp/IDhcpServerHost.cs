using Mip.Stack.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dhcp;

/// <summary>What the DHCP server needs from the stack. NetStack implements it; tests fake it.</summary>
internal interface IDhcpServerHost
{
    /// <summary>The interface's configuration: the server's identifier, subnet and default options come from it.</summary>
    Ipv4Config? Ipv4 { get; }

    /// <summary>
    /// Sends a DHCP reply (the UDP payload) from port 67 to <paramref name="destination"/>. With
    /// <paramref name="linkDestination"/> the frame goes to that MAC without ARP (RFC 2131 §4.1: the client has no
    /// address yet to answer ARP with); a limited-broadcast destination goes to the Ethernet broadcast address;
    /// otherwise it is routed and resolved normally.
    /// </summary>
    void SendDhcpReply(ReadOnlySpan<byte> payload, Ipv4Endpoint destination, MacAddress? linkDestination);
}
