using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dns;

/// <summary>What the DNS resolver needs from the stack. NetStack implements it; tests fake it.</summary>
internal interface IDnsTransport
{
    /// <summary>The DNS servers to ask, in order of preference (from configuration and DHCP).</summary>
    IReadOnlyList<Ipv4Address> Servers { get; }

    /// <summary>
    /// Sends a query (the UDP payload) to <paramref name="server"/> port 53 from local port
    /// <paramref name="sourcePort"/>. Returns false if it could not be sent now (no address, no route).
    /// Responses come back through <c>DnsResolver.OnDatagram</c>.
    /// </summary>
    bool SendQuery(ReadOnlySpan<byte> payload, Ipv4Address server, ushort sourcePort);
}
