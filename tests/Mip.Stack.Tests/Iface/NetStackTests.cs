using Mip.Stack.Iface;
using Mip.Stack.Phy;
using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Sockets.Dns;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Iface;

public sealed class NetStackTests
{
    [Fact]
    public void Link_down_and_up_are_reported_once_each_and_up_re_announces()
    {
        var net = new TwoStacks();
        net.Run();
        StackHarness.DrainEvents(net.A);
        long announcements = net.A.Counters.ArpRequestsSent;
        net.Link.IsUp = false;
        net.Run();
        net.Run();
        Assert.False(net.A.IsLinkUp);
        Assert.Equal([new LinkChanged(net.Now, false)], StackHarness.DrainEvents(net.A));
        net.Link.IsUp = true;
        net.Advance(TimeSpan.FromSeconds(1));
        Assert.True(net.A.IsLinkUp);
        Assert.Equal([new LinkChanged(net.Now, true)], StackHarness.DrainEvents(net.A));
        Assert.Equal(announcements + 1, net.A.Counters.ArpRequestsSent);
    }

    [Fact]
    public void Static_config_is_reported_and_nothing_is_due_when_idle()
    {
        var net = new TwoStacks();
        var ev = Assert.IsType<Ipv4Changed>(Assert.Single(StackHarness.DrainEvents(net.A)));
        Assert.Null(ev.Old);
        Assert.Equal(Fixtures.IpA, ev.New!.Address);
        Assert.Equal(net.Now, net.A.NextPollAt(net.Now));   // the announcement is due
        net.Run();
        Assert.Equal(Instant.MaxValue, net.A.NextPollAt(net.Now));
    }

    [Fact]
    public void Every_truncation_of_valid_frames_is_dropped_without_the_safety_net()
    {
        var link = new InMemoryLink();
        var now = Instant.FromSeconds(1);
        var stack = StackHarness.Stack(link.A, Fixtures.MacB, StackHarness.Config(Fixtures.IpB), now);
        stack.OpenUdp(7);
        foreach (var fixture in new[] { Fixtures.ArpRequest, Fixtures.EchoRequest, Fixtures.UdpDatagram })
        {
            for (int n = 0; n < fixture.Length; n++)
            {
                long before = stack.Counters.TotalDrops;
                link.A.Inject(fixture.AsSpan(0, n));
                stack.Poll(now);
                Assert.Equal(before + 1, stack.Counters.TotalDrops);
            }
        }
        Assert.Equal(0, stack.Counters.Drops(DropReason.Malformed));
        Assert.Equal(0, stack.Counters.IcmpEchoRequestsReceived);
    }

    [Fact]
    public void Random_garbage_never_escapes_as_an_exception()
    {
        var link = new InMemoryLink();
        var now = Instant.FromSeconds(1);
        var stack = StackHarness.Stack(link.A, Fixtures.MacB, StackHarness.Config(Fixtures.IpB), now);
        stack.OpenUdp(7);
        var random = new Random(42);
        var templates = new[] { Fixtures.ArpRequest, Fixtures.EchoRequest, Fixtures.UdpDatagram };
        for (int i = 0; i < 20000; i++)
        {
            var frame = templates[i % 3].ToArray();
            int flips = random.Next(1, 4);
            for (int f = 0; f < flips; f++)
            {
                frame[random.Next(12, frame.Length)] = (byte)random.Next(256);
            }
            link.A.Inject(frame);
            stack.Poll(now);
        }
        Assert.Equal(0, stack.Counters.Drops(DropReason.Malformed));
        Assert.Equal(20000, stack.Counters.FramesReceived);
    }

    [Fact]
    public void A_throwing_consumer_costs_one_frame_counted_as_malformed()
    {
        var net = new TwoStacks();
        net.A.RegisterUdpHandler(4000, (_, _, _, _) => throw new InvalidOperationException("bug"));
        var ok = net.A.OpenUdp(4001);
        var sender = net.B.OpenUdp(9);
        Assert.True(sender.TrySendTo([1], new Ipv4Endpoint(Fixtures.IpA, 4000), net.Now));
        Assert.True(sender.TrySendTo([2], new Ipv4Endpoint(Fixtures.IpA, 4001), net.Now));
        net.Run();
        Assert.Equal(1, net.A.Counters.Drops(DropReason.Malformed));
        Assert.Equal(1, ok.PendingDatagrams);
    }

    [Theory]
    [InlineData("0800", DropReason.Truncated)]
    [InlineData("86dd", DropReason.UnknownEtherType)]
    [InlineData("8100", DropReason.UnknownEtherType)]
    public void Drops_are_classified(string etherType, DropReason reason)
    {
        var link = new InMemoryLink();
        var stack = StackHarness.Stack(link.A, Fixtures.MacB, StackHarness.Config(Fixtures.IpB), Instant.Zero);
        var frame = Fixtures.Hex("020000000002020000000001" + etherType + "4500");
        link.A.Inject(frame);
        stack.Poll(Instant.Zero);
        Assert.Equal(1, stack.Counters.Drops(reason));
    }

    [Fact]
    public void Frames_for_other_hosts_and_oversized_frames_are_dropped()
    {
        var link = new InMemoryLink();
        var stack = StackHarness.Stack(link.A, Fixtures.MacB, StackHarness.Config(Fixtures.IpB), Instant.Zero);
        var other = Fixtures.EchoRequest;
        other[5] = 0x33;                               // another MAC
        link.A.Inject(other);
        var otherIp = Fixtures.EchoRequest;
        otherIp[33] = 11;                              // 192.168.2.11 at our MAC (header checksum now wrong, fix it)
        otherIp[24] = 0; otherIp[25] = 0;
        ushort sum = Checksum.Compute(otherIp.AsSpan(14, 20));
        otherIp[24] = (byte)(sum >> 8); otherIp[25] = (byte)sum;
        link.A.Inject(otherIp);
        link.A.Inject(new byte[1515]);
        stack.Poll(Instant.Zero);
        Assert.Equal(2, stack.Counters.Drops(DropReason.NotForUs));
        Assert.Equal(1, stack.Counters.Drops(DropReason.FrameTooLarge));
    }

    [Fact]
    public void Event_queue_keeps_the_newest_and_counts_what_it_dropped()
    {
        var net = new TwoStacks();
        for (int i = 0; i < NetStack.EventQueueCapacity + 10; i++)
        {
            net.A.Publish(new LinkChanged(new Instant(i), true));
        }
        var events = StackHarness.DrainEvents(net.A);
        Assert.Equal(NetStack.EventQueueCapacity, events.Count);
        Assert.Equal(11, net.A.Counters.EventsDropped);   // the Ipv4Changed plus the 10 oldest LinkChanged
        Assert.Equal(new Instant(NetStack.EventQueueCapacity + 9), events[^1].At);
    }

    [Fact]
    public void Dhcp_port_is_reachable_while_unconfigured_and_config_can_be_applied()
    {
        var link = new InMemoryLink();
        var now = Instant.FromSeconds(1);
        var stack = StackHarness.Stack(link.A, Fixtures.MacB, null, now, customize: o => new StackOptions
        {
            Mac = o.Mac,
            DnsServers = [Ipv4Address.Parse("9.9.9.9"), Ipv4Address.Parse("1.1.1.1")],
            DhcpEnabled = false,
        });
        var received = new List<(byte[], Ipv4Endpoint, Ipv4Address)>();
        stack.RegisterUdpHandler(68, (payload, source, destination, _) => received.Add((payload.ToArray(), source, destination)));
        Assert.Equal(StackError.AddressInUse, Assert.Throws<StackException>(() => stack.OpenUdp(68)).Error);

        // An offer unicast to the offered address at our MAC (RFC 2131 §4.1), from server 192.168.2.1:67.
        var offered = Ipv4Address.Parse("192.168.2.50");
        link.A.Inject(UdpFrame(Fixtures.MacB, Fixtures.IpA, offered, 67, 68, [1, 2, 3]));
        // And one to someone else's port at the same address: not for us while unconfigured.
        link.A.Inject(UdpFrame(Fixtures.MacB, Fixtures.IpA, offered, 67, 69, [4]));
        stack.Poll(now);
        Assert.Equal([1, 2, 3], Assert.Single(received).Item1);
        Assert.Equal(new Ipv4Endpoint(Fixtures.IpA, 67), received[0].Item2);
        Assert.Equal(1, stack.Counters.Drops(DropReason.NotForUs));

        IDhcpHost host = stack;
        host.SendDhcp([9, 9], Ipv4Address.Any, Ipv4Address.Broadcast);
        var discover = Assert.Single(StackHarness.Sent(link.B));
        Assert.Equal(MacAddress.Broadcast, MacAddress.Read(discover));
        Assert.True(Ipv4Packet.TryCreate(discover.AsSpan(14), out var ip));
        Assert.Equal(Ipv4Address.Any, ip.Source);
        Assert.True(UdpPacket.TryCreate(ip.Payload, out var udp));
        Assert.True(udp.IsChecksumValid(Ipv4Address.Any, Ipv4Address.Broadcast));
        Assert.Equal((ushort)68, udp.SourcePort);
        Assert.Equal((ushort)67, udp.DestinationPort);

        host.SendArpProbe(offered);
        var probe = Assert.Single(StackHarness.Sent(link.B));
        Assert.True(ArpPacket.TryCreate(probe.AsSpan(14), out var arp));
        // RFC 5227 §2.1.1: sender IP all zeros, target hardware address zeros, target IP the candidate.
        Assert.Equal((Ipv4Address.Any, MacAddress.Zero, offered, Fixtures.MacB), (arp.SenderIp, arp.TargetMac, arp.TargetIp, arp.SenderMac));

        var config = new Ipv4Config(offered, StackHarness.Mask24, Fixtures.IpA, [Fixtures.IpA, Ipv4Address.Any, Ipv4Address.Parse("1.1.1.1")]);
        host.ApplyConfig(config, now);
        Assert.Equal(config, stack.Ipv4);
        Assert.Equal([Fixtures.IpA, Ipv4Address.Parse("1.1.1.1"), Ipv4Address.Parse("9.9.9.9")], ((IDnsTransport)stack).Servers);
        var changed = Assert.IsType<Ipv4Changed>(Assert.Single(StackHarness.DrainEvents(stack)));
        Assert.Equal(new Ipv4Changed(now, null, config), changed);
        stack.Poll(now);
        // The DHCP client makes its own RFC 5227 §2.3 announcements after binding; the stack must not add a third.
        Assert.Empty(StackHarness.Sent(link.B));
        host.SendArpAnnouncement(offered);
        var announcement = Assert.Single(StackHarness.Sent(link.B));
        Assert.Equal(offered, Ipv4Address.Read(announcement.AsSpan(28)));
        Assert.Equal(offered, Ipv4Address.Read(announcement.AsSpan(38)));

        host.ApplyConfig(null, now);
        Assert.Null(stack.Ipv4);
        Assert.Equal(new Ipv4Changed(now, config, null), Assert.Single(StackHarness.DrainEvents(stack)));
    }

    [Fact]
    public void Dns_transport_sends_from_the_given_port_to_53()
    {
        var net = new TwoStacks();
        net.Run();
        var dns = net.B.OpenUdp(53);
        var answers = new List<byte[]>();
        net.A.RegisterUdpHandler(50000, (p, _, _, _) => answers.Add(p.ToArray()));
        Assert.True(((IDnsTransport)net.A).SendQuery([0xab, 0xcd], Fixtures.IpB, 50000));
        net.Run();
        var buffer = new byte[16];
        Assert.True(dns.TryReceiveFrom(buffer, out int n, out var from));
        Assert.Equal(new Ipv4Endpoint(Fixtures.IpA, 50000), from);
        Assert.True(dns.TrySendTo(buffer.AsSpan(0, n), from, net.Now));
        net.Run();
        Assert.Equal([0xab, 0xcd], Assert.Single(answers));
    }

    private static byte[] UdpFrame(MacAddress destinationMac, Ipv4Address source, Ipv4Address destination,
        ushort sourcePort, ushort destinationPort, byte[] payload)
    {
        var frame = new byte[42 + payload.Length];
        EthernetFrame.WriteHeader(frame, destinationMac, Fixtures.MacA, EtherType.Ipv4);
        new Ipv4Repr(source, destination, IpProtocol.Udp, 8 + payload.Length, 64).Emit(frame.AsSpan(14));
        payload.CopyTo(frame, 42);
        new UdpRepr(sourcePort, destinationPort, payload.Length).Emit(frame.AsSpan(34), source, destination);
        return frame;
    }
}
