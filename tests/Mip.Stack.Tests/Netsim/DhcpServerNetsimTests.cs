using Mip.Stack.Iface;
using Mip.Stack.Phy;
using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Netsim;

/// <summary>Our DHCP client against our DHCP server, two stacks on one cable, clean and lossy, on fake time.</summary>
public sealed class DhcpServerNetsimTests
{
    private static readonly Ipv4Address PoolStart = Ipv4Address.Parse("192.168.2.100");
    private static readonly Ipv4Address PoolEnd = Ipv4Address.Parse("192.168.2.150");
    private static readonly Ipv4Address Dns = Ipv4Address.Parse("192.168.2.53");

    private static SimNet Net(FaultOptions faults, int seed) => new(faults, seed,
        (device, now) => new NetStack(device, new StackOptions
        {
            Mac = Fixtures.MacA,
            StaticIpv4 = new Ipv4Config(Fixtures.IpA, Ipv4Address.MaskFromPrefix(24), Ipv4Address.Any, []),
            DhcpServer = new DhcpServerOptions
            {
                PoolStart = PoolStart,
                PoolEnd = PoolEnd,
                LeaseTime = TimeSpan.FromSeconds(600),
                Router = Fixtures.IpA,
                DnsServers = [Dns],
            },
        }, new Random(seed), now),
        (device, now) => new NetStack(device, new StackOptions { Mac = Fixtures.MacB, DhcpHostname = "client" }, new Random(seed + 100), now));

    [Fact]
    public void Client_stack_gets_a_lease_from_server_stack_then_renews_it_at_t1()
    {
        using var net = Net(FaultOptions.None, 1);
        net.FaultsOn = true;
        net.RunUntil(SimNet.Start + TimeSpan.FromSeconds(30), () => net.B.Dhcp!.State == DhcpClientState.Bound);

        var lease = net.B.Dhcp!.Lease!;
        Assert.Equal(PoolStart, lease.Address);
        var config = net.B.Ipv4!;
        Assert.Equal((PoolStart, Ipv4Address.MaskFromPrefix(24), Fixtures.IpA), (config.Address, config.Mask, config.Gateway));
        Assert.Equal([Dns], config.DnsServers);
        Assert.Equal(TimeSpan.FromSeconds(600), lease.LeaseDuration);
        var served = Assert.Single(net.A.DhcpServer!.GetLeases());
        Assert.Equal((Fixtures.MacB, PoolStart, false), (served.Mac, served.Address, served.IsOffered));
        var boundAt = lease.AcquiredAt;
        Assert.Equal(boundAt + TimeSpan.FromSeconds(600), served.ExpiresAt);

        // The new host answers the server's ping (ARP both ways), and renews unicast at T1 = 300 s.
        Assert.True(net.A.SendPing(PoolStart, 1, 1, 16, net.Now));
        net.RunUntil(boundAt + TimeSpan.FromSeconds(301));
        Assert.Contains(Iface.StackHarness.DrainEvents(net.A), e => e is PingReplyReceived { From: var f } && f == PoolStart);
        Assert.Contains(Iface.StackHarness.DrainEvents(net.B), e => e is DhcpLeaseRenewed);
        Assert.Equal(DhcpClientState.Bound, net.B.Dhcp.State);
        Assert.Equal(net.B.Dhcp.Lease!.AcquiredAt + TimeSpan.FromSeconds(600), Assert.Single(net.A.DhcpServer.GetLeases()).ExpiresAt);
        Assert.Equal((1, 2), (net.A.DhcpServer.Counters.OffersSent, net.A.DhcpServer.Counters.AcksSent));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void Lease_is_acquired_over_a_lossy_reordering_duplicating_link(int seed)
    {
        var faults = new FaultOptions
        {
            DropProbability = 0.3,
            DuplicateProbability = 0.1,
            ReorderProbability = 0.1,
            Delay = TimeSpan.FromMilliseconds(5),
            CorruptProbability = 0.05,
        };
        using var net = Net(faults, seed);
        net.FaultsOn = true;
        net.RunUntil(SimNet.Start + TimeSpan.FromSeconds(600), () => net.B.Dhcp!.State == DhcpClientState.Bound);

        var c = net.B.Dhcp!.Counters;
        var sc = net.A.DhcpServer!.Counters;
        Assert.True(net.B.Dhcp!.State == DhcpClientState.Bound, $"{net.B.Dhcp.State} at {net.Now}: client d={c.DiscoversSent} r={c.RequestsSent} o={c.OffersReceived} a={c.AcksReceived} n={c.NaksReceived} conflicts={c.Conflicts} decl={c.DeclinesSent}; server d={sc.DiscoversReceived} r={sc.RequestsReceived} o={sc.OffersSent} a={sc.AcksSent} n={sc.NaksSent} ign={sc.Ignored} decl={sc.DeclinesReceived}; A {net.DeviceA.Faults.ReceiveCounters} B {net.DeviceB.Faults.ReceiveCounters}");
        var address = net.B.Ipv4!.Address;
        Assert.InRange(address.Value, PoolStart.Value, PoolEnd.Value);
        // Whatever was lost, retransmitted or duplicated, the server holds exactly the one lease the client uses.
        var served = Assert.Single(net.A.DhcpServer!.GetLeases());
        Assert.Equal((Fixtures.MacB, address, false), (served.Mac, served.Address, served.IsOffered));
        // The link did misbehave: these seeds all lose or mangle frames on the way.
        var rxA = net.DeviceA.Faults.ReceiveCounters;
        var rxB = net.DeviceB.Faults.ReceiveCounters;
        Assert.True(rxA.Dropped + rxB.Dropped + rxA.Corrupted + rxB.Corrupted > 0, $"A: {rxA}; B: {rxB}");
    }

    [Fact]
    public void Release_with_an_empty_arp_cache_reaches_the_server_after_arp_then_frees_the_lease()
    {
        using var net = Net(FaultOptions.None, 7);
        net.RunUntil(SimNet.Start + TimeSpan.FromSeconds(30), () => net.B.Dhcp!.State == DhcpClientState.Bound);
        Assert.Single(net.A.DhcpServer!.GetLeases());
        var leased = net.B.Ipv4!.Address;
        // The client never had to resolve the server: its lease came by broadcast and chaddr.
        Assert.DoesNotContain(net.B.GetArpTable(net.Now), e => e.Ip == Fixtures.IpA);
        int sentBefore = net.DeviceB.Transmitted.Count;

        net.B.Dhcp!.Stop(net.Now, release: true);
        // RFC 2131 §4.4.4: the RELEASE is unicast, so it waits for ARP; the address stays until it has left.
        Assert.Equal(DhcpClientState.Releasing, net.B.Dhcp.State);
        Assert.Equal(leased, net.B.Ipv4?.Address);
        net.RunUntil(net.Now + TimeSpan.FromSeconds(1));
        Assert.Equal(DhcpClientState.Stopped, net.B.Dhcp.State);

        Assert.Null(net.B.Ipv4);
        var sent = net.DeviceB.Transmitted.Skip(sentBefore).ToList();
        int arpRequest = sent.FindIndex(f => IsArpRequestFor(f, Fixtures.IpA, leased));
        int release = sent.FindIndex(IsRelease);
        Assert.True(arpRequest >= 0, "no ARP request for the server");
        Assert.True(release > arpRequest, "the RELEASE did not follow the ARP request");
        Assert.Equal(1, sent.Count(IsRelease));
        Assert.True(EthernetFrame.TryCreate(sent[release], out var eth));
        Assert.True(Ipv4Packet.TryCreate(eth.Payload, out var ip));
        Assert.Equal((Fixtures.MacA, leased, Fixtures.IpA), (eth.Destination, ip.Source, ip.Destination));
        Assert.Empty(net.A.DhcpServer.GetLeases());
        Assert.Equal(1, net.A.DhcpServer.Counters.ReleasesReceived);
        var lost = Assert.Single(Iface.StackHarness.DrainEvents(net.B).OfType<DhcpLeaseLost>());
        Assert.Equal(DhcpLeaseLostReason.Released, lost.Reason);
    }

    private static bool IsArpRequestFor(byte[] frame, Ipv4Address target, Ipv4Address sender) =>
        EthernetFrame.TryCreate(frame, out var eth) && eth.EtherType == EtherType.Arp
        && ArpPacket.TryCreate(eth.Payload, out var packet) && ArpRepr.TryParse(packet, out var arp)
        && arp.Operation == ArpOperation.Request && arp.TargetIp == target && arp.SenderIp == sender;

    private static bool IsRelease(byte[] frame) =>
        EthernetFrame.TryCreate(frame, out var eth) && eth.EtherType == EtherType.Ipv4
        && Ipv4Packet.TryCreate(eth.Payload, out var ip) && ip.Protocol == IpProtocol.Udp
        && UdpPacket.TryCreate(ip.Payload, out var udp) && udp.DestinationPort == 67
        && DhcpMessage.TryCreate(udp.Payload, out var message) && DhcpRepr.TryParse(message, out var dhcp)
        && dhcp.MessageType == DhcpMessageType.Release;
}
