using Mip.Stack.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Iface;

public sealed class PingTests
{
    [Fact]
    public void Ping_between_two_stacks_resolves_arp_and_reports_rtt_from_fake_time()
    {
        var net = new TwoStacks();
        net.Run();                                   // gratuitous ARP announcements
        StackHarness.DrainEvents(net.A);

        Assert.True(net.A.SendPing(Fixtures.IpB, 0x4242, 1, 56, net.Now));
        // The next poll, 3 ms later, carries ARP, request and reply across; the RTT is that fake-time gap.
        net.Advance(TimeSpan.FromMilliseconds(3));

        var reply = Assert.Single(StackHarness.DrainEvents(net.A).OfType<PingReplyReceived>());
        Assert.Equal(Fixtures.IpB, reply.From);
        Assert.Equal((ushort)0x4242, reply.Id);
        Assert.Equal((ushort)1, reply.Seq);
        Assert.Equal(56, reply.Bytes);
        Assert.Equal(64, reply.Ttl);
        Assert.Equal(TimeSpan.FromMilliseconds(3), reply.Rtt);
        Assert.Equal(1, net.B.Counters.IcmpEchoRequestsReceived);
        Assert.Equal(1, net.B.Counters.IcmpEchoRepliesSent);
        Assert.Equal(1, net.A.Counters.IcmpEchoRepliesReceived);
        Assert.Equal(0, net.A.Counters.TotalDrops + net.B.Counters.TotalDrops);
    }

    [Fact]
    public void Ping_with_short_payload_has_no_rtt()
    {
        var net = new TwoStacks();
        net.Run();
        Assert.True(net.A.SendPing(Fixtures.IpB, 1, 2, 4, net.Now));
        net.Run();
        var reply = Assert.Single(StackHarness.DrainEvents(net.A).OfType<PingReplyReceived>());
        Assert.Null(reply.Rtt);
        Assert.Equal(4, reply.Bytes);
    }

    [Fact]
    public void Ping_to_an_absent_host_fails_after_arp_gives_up()
    {
        var net = new TwoStacks();
        net.Run();
        var absent = Ipv4Address.Parse("192.168.2.77");
        var sentAt = net.Now;
        Assert.True(net.A.SendPing(absent, 7, 1, 56, net.Now));
        for (int i = 0; i < 5; i++)
        {
            net.Advance(TimeSpan.FromSeconds(1));
        }
        var failed = Assert.Single(StackHarness.DrainEvents(net.A).OfType<PingFailed>());
        Assert.Equal(new PingFailed(failed.At, absent, 7, 1, PingFailureReason.HostUnreachable), failed);
        // Reported at the ARP give-up instant (about 3 s, like Linux), not by a ping timeout.
        Assert.Equal(sentAt + (NetStack.MaxArpRequests * new StackOptions { Mac = Fixtures.MacA }.ArpRequestInterval), failed.At);
        Assert.Equal(1, net.A.Counters.Drops(DropReason.ArpUnresolved));
        Assert.Equal(NetStack.MaxArpRequests, net.A.Counters.ArpRequestsSent - 1);   // minus the announcement
    }

    [Fact]
    public void Kernel_echo_request_gets_a_byte_exact_reply()
    {
        var link = new Mip.Stack.Phy.InMemoryLink();
        var now = Instant.FromSeconds(5);
        var stack = StackHarness.Stack(link.A, Fixtures.MacB, StackHarness.Config(Fixtures.IpB), now);
        stack.Poll(now);
        StackHarness.Sent(link.B);                   // drop the announcement
        link.A.Inject(Fixtures.ArpRequest.AsSpan(0, 14).ToArray().Concat(new byte[28]).ToArray()); // nonsense ARP: ignored
        link.A.Inject(Fixtures.ArpRequest);
        link.A.Inject(Fixtures.EchoRequest);
        stack.Poll(now);

        var frames = StackHarness.Sent(link.B);
        Assert.Equal(2, frames.Count);
        Assert.Equal(Fixtures.ArpReply, frames[0]);
        var reply = frames[1];
        Assert.True(EthernetFrame.TryCreate(reply, out var eth));
        Assert.Equal(Fixtures.MacA, eth.Destination);
        Assert.True(Ipv4Packet.TryCreate(eth.Payload, out var ip));
        Assert.True(Ipv4Repr.TryParse(ip, out var ipRepr));
        Assert.Equal(Fixtures.IpB, ipRepr.Source);
        Assert.Equal(Fixtures.IpA, ipRepr.Destination);
        Assert.Equal(64, ipRepr.Ttl);
        // Same identifier, sequence and data as the request (RFC 792); checksum as Linux computes it.
        Assert.Equal(Fixtures.Hex("0000debe1c2d0001"), ip.Payload[..8].ToArray());
        Assert.Equal(Fixtures.EchoRequest.AsSpan(42).ToArray(), ip.Payload[8..].ToArray());
        Assert.Equal(1, stack.Counters.Drops(DropReason.UnsupportedArp));
    }

    [Fact]
    public void Broadcast_echo_requests_are_not_answered()
    {
        var link = new Mip.Stack.Phy.InMemoryLink();
        var now = Instant.FromSeconds(5);
        var stack = StackHarness.Stack(link.A, Fixtures.MacB, StackHarness.Config(Fixtures.IpB), now);
        stack.Poll(now);
        StackHarness.Sent(link.B);
        var request = Fixtures.EchoRequest;
        // To 192.168.2.255 at the Ethernet broadcast address; fix the IP header checksum.
        MacAddress.Broadcast.Write(request);
        request[33] = 0xff;
        request[24] = 0; request[25] = 0;
        ushort sum = Checksum.Compute(request.AsSpan(14, 20));
        request[24] = (byte)(sum >> 8); request[25] = (byte)sum;
        link.A.Inject(request);
        stack.Poll(now);
        Assert.Empty(StackHarness.Sent(link.B));
        Assert.Equal(1, stack.Counters.Drops(DropReason.BroadcastEchoIgnored));
    }
}
