using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>The DHCP server seam (<see cref="IDhcpServerHost"/>) and its wiring into the stack.</summary>
public sealed partial class NetStack : IDhcpServerHost
{
    /// <summary>The DHCP server on UDP 67, or null when <see cref="StackOptions.DhcpServer"/> is not set.</summary>
    public DhcpServer? DhcpServer { get; private set; }

    Ipv4Config? IDhcpServerHost.Ipv4 => _ipv4;

    /// <summary>Starts the server the options ask for; it needs the static configuration to serve from.</summary>
    private void StartDhcpServer(DhcpServerOptions options)
    {
        if (_options.StaticIpv4 is null)
        {
            throw new ArgumentException("The DHCP server needs StaticIpv4: a server cannot take its own address by DHCP.", nameof(options));
        }
        var server = new DhcpServer(this, options);
        RegisterUdpHandler(DhcpServerPort, (payload, _, _, at) => server.OnDatagram(payload, at));
        AddComponent(server);
        DhcpServer = server;
    }

    void IDhcpServerHost.SendDhcpReply(ReadOnlySpan<byte> payload, Ipv4Endpoint destination, MacAddress? linkDestination)
    {
        if (_ipv4 is not { } config)
        {
            Counters.Drop(DropReason.NotConfigured);
            return;
        }
        if (linkDestination is null && !destination.Address.IsBroadcast)
        {
            SendUdpFrom(config.Address, DhcpServerPort, payload, destination, _now);
            return;
        }
        // RFC 2131 §4.1: the client has no address yet, so it can answer no ARP request: the reply goes to its
        // hardware address (or to everyone) directly.
        var repr = new UdpRepr(DhcpServerPort, destination.Port, payload.Length);
        if (!IsLinkUp)
        {
            Counters.Drop(DropReason.LinkDown);
            return;
        }
        payload.CopyTo(_transport.AsSpan(UdpRepr.HeaderLength));
        repr.Emit(_transport, config.Address, destination.Address);
        if (TransmitIpv4(linkDestination ?? MacAddress.Broadcast, config.Address, destination.Address, IpProtocol.Udp,
            _transport.AsSpan(0, repr.BufferLength), false, _now) == StackError.None)
        {
            Counters.UdpDatagramsSent++;
        }
    }
}
