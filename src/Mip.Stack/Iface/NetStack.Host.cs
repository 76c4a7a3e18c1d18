using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Sockets.Dns;
using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>The seams the DHCP client and DNS resolver use (explicit, internal interfaces).</summary>
public sealed partial class NetStack
{
    private const ushort DhcpServerPort = 67;
    private const ushort DnsPort = 53;

    private IReadOnlyList<Ipv4Address> _dnsServers;

    MacAddress IDhcpHost.Mac => _options.Mac;

    void IDhcpHost.SendDhcp(ReadOnlySpan<byte> payload, Ipv4Address source, Ipv4Address destination)
    {
        if (!destination.IsBroadcast)
        {
            // Renewal (RFC 2131 §4.4.5): unicast to the server, routed and resolved like any datagram.
            SendUdpFrom(source, DhcpClientPort, payload, new Ipv4Endpoint(destination, DhcpServerPort), _now);
            return;
        }
        // RFC 2131 §4.1: before an address is bound the client sends from 0.0.0.0 to the limited broadcast, which
        // needs neither a configuration nor ARP.
        var repr = new UdpRepr(DhcpClientPort, DhcpServerPort, payload.Length);
        if (repr.BufferLength > MaxIpv4Payload)
        {
            Counters.Drop(DropReason.PacketTooBig);
            return;
        }
        if (!IsLinkUp)
        {
            Counters.Drop(DropReason.LinkDown);
            return;
        }
        payload.CopyTo(_transport.AsSpan(UdpRepr.HeaderLength));
        repr.Emit(_transport, source, destination);
        if (TransmitIpv4(MacAddress.Broadcast, source, destination, IpProtocol.Udp, _transport.AsSpan(0, repr.BufferLength), false, _now) == StackError.None)
        {
            Counters.UdpDatagramsSent++;
        }
    }

    bool IDhcpHost.IsWaitingForArp(Ipv4Address source, Ipv4Address destination)
    {
        if (Route(destination) is not { Kind: RouteKind.OnLink or RouteKind.Gateway } route
            || !_arp.TryGet(route.NextHop, out var entry) || entry.Pending is not { Count: > 0 } pending)
        {
            return false;
        }
        foreach (var p in pending)
        {
            if (p.Source == source && p.Destination == destination)
            {
                return true;
            }
        }
        return false;
    }

    void IDhcpHost.SendArpProbe(Ipv4Address target) =>
        // RFC 5227 §2.1.1: sender IP all zeros so no neighbour caches the address we do not own yet.
        SendArp(ArpOperation.Request, MacAddress.Broadcast, Ipv4Address.Any, MacAddress.Zero, target);

    void IDhcpHost.SendArpAnnouncement(Ipv4Address address) => SendArpAnnouncement(address);

    // The DHCP client runs its own RFC 5227 §2.3 announcements after binding, so the stack adds none.
    void IDhcpHost.ApplyConfig(Ipv4Config? config, Instant now) => SetConfig(config, now, announce: false);

    void IDhcpHost.Publish(StackEvent ev) => Publish(ev);

    IReadOnlyList<Ipv4Address> IDnsTransport.Servers => _dnsServers;

    bool IDnsTransport.SendQuery(ReadOnlySpan<byte> payload, Ipv4Address server, ushort sourcePort) =>
        SendUdp(sourcePort, payload, new Ipv4Endpoint(server, DnsPort), allowBroadcast: false, _now) == StackError.None;

    /// <summary>RFC 5227 §2.3: an ARP request with our address as both sender and target, broadcast.</summary>
    private void SendArpAnnouncement(Ipv4Address address) =>
        SendArp(ArpOperation.Request, MacAddress.Broadcast, address, MacAddress.Zero, address);

    /// <summary>
    /// The interface gave up <paramref name="lost"/> (lease lost, expired or replaced by another address): TCP
    /// connections bound to it are dropped without a RST (<see cref="Sockets.Tcp.TcpError.AddressLost"/>), and datagrams still
    /// waiting for ARP with it as their source are discarded, so nothing leaves from an address that may already be
    /// another host's (echo requests among them are reported as <see cref="PingFailureReason.AddressLost"/>). Listeners are bound to the port on any address and keep listening; UDP sockets follow the
    /// interface address. A renewal that keeps the address changes nothing.
    /// </summary>
    private void DropAddressUsers(Ipv4Address lost, Instant now)
    {
        // Backwards: a connection that ends is swap-removed with the last one, which was already visited.
        for (int i = _tcpList.Count - 1; i >= 0; i--)
        {
            if (i < _tcpList.Count && _tcpList[i] is { } s && s.Tuple.LocalAddress == lost)
            {
                if (s.State != Sockets.Tcp.TcpState.TimeWait)
                {
                    Counters.TcpAddressLostAborts++;
                }
                s.OnLocalAddressLost(now);
            }
        }
        foreach (var entry in _arp.Entries)
        {
            if (entry.Pending is not { Count: > 0 } pending)
            {
                continue;
            }
            for (int n = pending.Count; n > 0; n--)
            {
                var p = pending.Dequeue();
                if (p.Source == lost)
                {
                    Counters.Drop(DropReason.NotConfigured);
                    // A caller waiting for this echo hears now why, instead of at its own timeout.
                    ReportUnsentPing(p, now, PingFailureReason.AddressLost);
                    System.Buffers.ArrayPool<byte>.Shared.Return(p.Buffer);
                }
                else
                {
                    pending.Enqueue(p);
                }
            }
        }
    }

    /// <summary>
    /// Installs (or removes, when null) the IPv4 configuration: forgets neighbours that are no longer on-link, drops
    /// what used a lost address (<see cref="DropAddressUsers"/>), schedules a gratuitous ARP announcement for the next poll and publishes <see cref="Ipv4Changed"/>.
    /// </summary>
    private void SetConfig(Ipv4Config? config, Instant now, bool announce = true)
    {
        var old = _ipv4;
        _ipv4 = config;
        // What used the lost address goes first, so its parked datagrams are reported as such (AddressLost) rather
        // than as neighbours that went off-link, which is what losing the configuration also makes them.
        if (old is not null && config?.Address != old.Address)
        {
            DropAddressUsers(old.Address, now);
        }
        FlushArpNotOnLink(config, now);
        _dnsServers = MergeDnsServers();
        _announcePending = config is not null && (_announcePending || (announce && config.Address != old?.Address));
        if (!SameConfig(old, config))
        {
            Publish(new Ipv4Changed(now, old, config));
        }
    }

    private static bool SameConfig(Ipv4Config? a, Ipv4Config? b) =>
        a is null || b is null
            ? a is null && b is null
            : a.Address == b.Address && a.Mask == b.Mask && a.Gateway == b.Gateway && a.DnsServers.SequenceEqual(b.DnsServers);

    /// <summary>DNS servers from the configuration (DHCP or static) first, then the options', without duplicates or 0.0.0.0.</summary>
    private Ipv4Address[] MergeDnsServers()
    {
        var servers = new List<Ipv4Address>();
        foreach (var list in (IEnumerable<IReadOnlyList<Ipv4Address>>)[_ipv4?.DnsServers ?? [], _options.DnsServers])
        {
            foreach (var server in list)
            {
                if (!server.IsAny && !server.IsBroadcast && !servers.Contains(server))
                {
                    servers.Add(server);
                }
            }
        }
        return [.. servers];
    }
}
