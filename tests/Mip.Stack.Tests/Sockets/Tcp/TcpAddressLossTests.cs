using Mip.Stack.Iface;
using Mip.Stack.Phy;
using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Tests.Iface;
using Mip.Stack.Tests.Netsim;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Tcp;

/// <summary>
/// Connections bound to an address the interface lost (DHCP lease released or expired, address changed) are dropped
/// with <see cref="TcpError.AddressLost"/> and no RST; listeners keep listening; a renewal that keeps the address
/// touches nothing. Two stacks on fake time: A serves DHCP, B is the DHCP client under test.
/// </summary>
public sealed class TcpAddressLossTests
{
    private static readonly Ipv4Address PoolStart = Ipv4Address.Parse("192.168.2.100");

    private static SimNet Net() => new(FaultOptions.None, 1,
        (device, now) => new NetStack(device, new StackOptions
        {
            Mac = Fixtures.MacA,
            StaticIpv4 = new Ipv4Config(Fixtures.IpA, Ipv4Address.MaskFromPrefix(24), Ipv4Address.Any, []),
            DhcpServer = new DhcpServerOptions
            {
                PoolStart = PoolStart,
                PoolEnd = Ipv4Address.Parse("192.168.2.150"),
                LeaseTime = TimeSpan.FromSeconds(600),
                Router = Fixtures.IpA,
            },
        }, new Random(1), now),
        (device, now) => new NetStack(device, new StackOptions { Mac = Fixtures.MacB }, new Random(101), now));

    /// <summary>B leased, listening on 80, with one connection out (to A:81) and one in (from A), both established.</summary>
    private sealed class Scene
    {
        public Scene()
        {
            Net.RunUntil(SimNet.Start + TimeSpan.FromSeconds(30), () => Net.B.Dhcp!.State == DhcpClientState.Bound);
            Leased = Net.B.Ipv4!.Address;
            ListenerA = Net.A.ListenTcp(81);
            ListenerB = Net.B.ListenTcp(80);
            Outbound = Net.B.ConnectTcp(new Ipv4Endpoint(Fixtures.IpA, 81), Net.Now);
            InboundPeer = Net.A.ConnectTcp(new Ipv4Endpoint(Leased, 80), Net.Now);
            Net.RunUntil(Net.Now + TimeSpan.FromSeconds(5),
                () => Outbound.State == TcpState.Established && ListenerB.PendingConnections == 1 && ListenerA.PendingConnections == 1);
            Assert.True(ListenerB.TryAccept(out var inbound));
            Assert.True(ListenerA.TryAccept(out var outboundPeer));
            Inbound = inbound;
            OutboundPeer = outboundPeer;
            Assert.Equal(TcpState.Established, Inbound.State);
            StackHarness.DrainEvents(Net.B);
        }

        public SimNet Net { get; } = TcpAddressLossTests.Net();
        public Ipv4Address Leased { get; }
        public TcpListener ListenerA { get; }
        public TcpListener ListenerB { get; }
        public TcpSocket Outbound { get; }
        public TcpSocket OutboundPeer { get; }
        public TcpSocket Inbound { get; }
        public TcpSocket InboundPeer { get; }
    }

    [Fact]
    public void Losing_the_lease_drops_connections_on_the_old_address_without_a_reset_and_keeps_the_listener()
    {
        var s = new Scene();
        using var net = s.Net;
        long resetsSent = net.B.Counters.TcpResetsSent;
        int framesBefore = net.DeviceB.Transmitted.Count;

        net.B.Dhcp!.Stop(net.Now, release: true);
        net.RunUntil(net.Now + TimeSpan.FromSeconds(1));

        Assert.Null(net.B.Ipv4);
        foreach (var socket in (TcpSocket[])[s.Outbound, s.Inbound])
        {
            Assert.Equal(TcpState.Closed, socket.State);
            Assert.Equal(TcpError.AddressLost, socket.Error);
        }
        Assert.Empty(net.B.TcpSockets);
        Assert.Equal(2, net.B.Counters.TcpAddressLostAborts);
        var closed = StackHarness.DrainEvents(net.B).OfType<TcpConnectionClosed>().ToList();
        Assert.Equal(2, closed.Count);
        Assert.All(closed, e => Assert.Equal(TcpError.AddressLost, e.Error));
        // No RST, nor any TCP segment, left B: the address is gone. The peers only see silence.
        Assert.Equal(resetsSent, net.B.Counters.TcpResetsSent);
        Assert.DoesNotContain(net.DeviceB.Transmitted.Skip(framesBefore), IsTcp);
        Assert.Equal(TcpState.Established, s.OutboundPeer.State);
        Assert.Equal(TcpState.Established, s.InboundPeer.State);

        // The listener is bound to the port on any address: it is still there, and accepts on the next lease.
        Assert.False(s.ListenerB.IsClosed);
        Assert.Contains(s.ListenerB, net.B.TcpListeners);
        net.B.Dhcp.Start(net.Now);
        net.RunUntil(net.Now + TimeSpan.FromSeconds(30), () => net.B.Dhcp.State == DhcpClientState.Bound);
        var again = net.A.ConnectTcp(new Ipv4Endpoint(net.B.Ipv4!.Address, 80), net.Now);
        net.RunUntil(net.Now + TimeSpan.FromSeconds(5), () => s.ListenerB.PendingConnections == 1);
        Assert.Equal(TcpState.Established, again.State);
        Assert.True(s.ListenerB.TryAccept(out var accepted));
        Assert.Equal(TcpState.Established, accepted.State);
    }

    [Fact]
    public void A_renewal_that_keeps_the_address_touches_nothing()
    {
        var s = new Scene();
        using var net = s.Net;
        var acquiredAt = net.B.Dhcp!.Lease!.AcquiredAt;

        // T1 = 300 s: the renewal is acknowledged with the same address.
        net.RunUntil(acquiredAt + TimeSpan.FromSeconds(301));
        var events = StackHarness.DrainEvents(net.B);
        Assert.Contains(events, e => e is DhcpLeaseRenewed);
        Assert.DoesNotContain(events, e => e is Ipv4Changed or TcpConnectionClosed);
        Assert.Equal(s.Leased, net.B.Ipv4!.Address);
        Assert.Equal(TcpState.Established, s.Outbound.State);
        Assert.Equal(TcpState.Established, s.Inbound.State);
        Assert.Equal(0, net.B.Counters.TcpAddressLostAborts);

        // And they still carry data both ways.
        Assert.Equal(5, s.Outbound.Send("hello"u8));
        Assert.Equal(3, s.InboundPeer.Send("hey"u8));
        net.RunUntil(net.Now + TimeSpan.FromSeconds(1), () => s.OutboundPeer.BytesAvailable == 5 && s.Inbound.BytesAvailable == 3);
        Assert.Equal(5, s.OutboundPeer.BytesAvailable);
        Assert.Equal(3, s.Inbound.BytesAvailable);
    }

    [Fact]
    public void A_new_address_drops_connections_on_the_old_one_only()
    {
        var h = new TcpHarness();
        var oldAddress = h.LocalIp;
        var old = TcpConnection.Accept(h);
        var config = h.Stack.Ipv4!;

        // Same address, other details (a DNS server): nothing happens.
        ((IDhcpHost)h.Stack).ApplyConfig(config with { DnsServers = [Fixtures.IpA] }, h.Now);
        Assert.Equal(TcpState.Established, old.Socket.State);

        // A new address: the connection from the old one is dropped, silently; the listener stays.
        var newAddress = Ipv4Address.Parse("192.168.2.60");
        ((IDhcpHost)h.Stack).ApplyConfig(config with { Address = newAddress }, h.Now);
        h.Advance(TimeSpan.Zero);
        Assert.Equal(TcpState.Closed, old.Socket.State);
        Assert.Equal(TcpError.AddressLost, old.Socket.Error);
        h.ExpectNothing();
        Assert.Single(h.Stack.TcpListeners);
        Assert.NotEqual(oldAddress, h.Stack.Ipv4!.Address);

        // A connection on the new address is untouched by a later change that keeps it.
        var fresh = h.Stack.ConnectTcp(new Ipv4Endpoint(h.PeerIp, 443), h.Now);
        Assert.Equal(newAddress, fresh.LocalEndpoint.Address);
        ((IDhcpHost)h.Stack).ApplyConfig(config with { Address = newAddress, Gateway = Fixtures.IpA }, h.Now);
        Assert.Equal(TcpState.SynSent, fresh.State);
    }

    [Fact]
    public void A_connection_in_time_wait_on_the_lost_address_is_forgotten_without_an_error()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h);
        c.Socket.Close();
        h.Advance(TimeSpan.Zero);
        var fin = h.ExpectOne();
        Assert.True(fin.Flags.HasFlag(TcpFlags.Fin));
        c.LocalNext += 1;
        h.Send(c.Peer(TcpFlags.Ack | TcpFlags.Fin));
        Assert.Equal(TcpState.TimeWait, c.Socket.State);

        ((IDhcpHost)h.Stack).ApplyConfig(null, h.Now);
        Assert.Equal(TcpState.Closed, c.Socket.State);
        Assert.Equal(TcpError.None, c.Socket.Error);
        Assert.Empty(h.Stack.TcpSockets);
        Assert.Equal(0, h.Stack.Counters.TcpAddressLostAborts);
    }

    private static bool IsTcp(byte[] frame) =>
        EthernetFrame.TryCreate(frame, out var eth) && eth.EtherType == EtherType.Ipv4
        && Ipv4Packet.TryCreate(eth.Payload, out var ip) && ip.Protocol == IpProtocol.Tcp;
}
