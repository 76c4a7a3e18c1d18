using Mip.Stack.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Iface;

public sealed class FragmentationTests
{
    [Fact]
    public void A_6000_byte_datagram_is_fragmented_and_reassembled_by_the_peer()
    {
        var net = new TwoStacks();
        net.Run();
        var server = net.B.OpenUdp(9);
        var client = net.A.OpenUdp(10);
        var payload = new byte[6000];
        new Random(3).NextBytes(payload);
        Assert.True(net.A.SendPing(Fixtures.IpB, 1, 1, 8, net.Now));   // resolve ARP first so frames can be inspected
        net.Run();
        Assert.True(client.TrySendTo(payload, new Ipv4Endpoint(Fixtures.IpB, 9), net.Now));

        // 6008 bytes of UDP in 1480-byte pieces (RFC 791: multiples of 8): 4 x 1480 + 88.
        var frames = StackHarness.Sent(net.Link.B);
        Assert.Equal(5, frames.Count);
        var offsets = new List<int>();
        foreach (var frame in frames)
        {
            Assert.True(frame.Length <= 1514);
            Assert.True(EthernetFrame.TryCreate(frame, out var eth));
            Assert.True(Ipv4Packet.TryCreate(eth.Payload, out var ip));
            Assert.True(ip.IsChecksumValid);
            Assert.False(ip.DontFragment);
            offsets.Add(ip.FragmentOffset);
            Assert.Equal(ip.FragmentOffset != 5920, ip.MoreFragments);
            Assert.Equal(ip.FragmentOffset != 5920 ? 1480 : 88, ip.Payload.Length);
            net.Link.B.Inject(frame);
        }
        Assert.Equal([0, 1480, 2960, 4440, 5920], offsets);
        net.Run();

        var buffer = new byte[7000];
        Assert.True(server.TryReceiveFrom(buffer, out int n, out var from));
        Assert.Equal(payload, buffer[..n]);
        Assert.Equal(new Ipv4Endpoint(Fixtures.IpA, 10), from);
        Assert.Equal(5, net.A.Counters.FragmentsSent);
        Assert.Equal(5, net.B.Counters.FragmentsReceived);
        Assert.Equal(1, net.B.Counters.DatagramsReassembled);
    }

    [Fact]
    public void Largest_udp_payload_crosses_and_larger_is_refused()
    {
        var net = new TwoStacks();
        var server = net.B.OpenUdp(9);
        var client = net.A.OpenUdp(10);
        var payload = new byte[UdpRepr.MaxPayloadLength];
        payload[^1] = 0x5A;
        Assert.True(client.TrySendTo(payload, new Ipv4Endpoint(Fixtures.IpB, 9), net.Now));
        net.Run();
        var buffer = new byte[70000];
        Assert.True(server.TryReceiveFrom(buffer, out int n, out _));
        Assert.Equal(65507, n);
        Assert.Equal(0x5A, buffer[n - 1]);
        Assert.False(client.TrySendTo(new byte[65508], new Ipv4Endpoint(Fixtures.IpB, 9), net.Now, out var error));
        Assert.Equal(StackError.MessageTooLong, error);
    }

    [Fact]
    public void Incomplete_datagram_times_out_and_is_counted()
    {
        var net = new TwoStacks();
        net.Run();
        net.B.OpenUdp(9);
        Assert.True(net.A.OpenUdp(10).TrySendTo(new byte[3000], new Ipv4Endpoint(Fixtures.IpB, 9), net.Now));
        net.Run();   // ARP resolves, then the fragments go
        StackHarness.Sent(net.Link.B);
        Assert.True(net.A.OpenUdp(11).TrySendTo(new byte[3000], new Ipv4Endpoint(Fixtures.IpB, 9), net.Now));
        var frames = StackHarness.Sent(net.Link.B);
        Assert.Equal(3, frames.Count);
        net.Link.B.Inject(frames[0]);
        net.Link.B.Inject(frames[2]);   // the middle one is lost
        net.Run();
        Assert.Equal(net.Now + TimeSpan.FromSeconds(30), net.B.NextPollAt(net.Now));
        net.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(1, net.B.Counters.Drops(DropReason.ReassemblyTimeout));
    }

    [Fact]
    public void Fragmentation_needed_lowers_the_path_mtu_for_that_destination()
    {
        var net = new TwoStacks();
        net.Run();
        Assert.True(net.A.SendPing(Fixtures.IpB, 1, 1, 1472, net.Now));
        net.Run();
        Assert.Single(StackHarness.DrainEvents(net.A).OfType<PingReplyReceived>());
        // A router (played by the test) says the path to B only carries 1000 bytes.
        var quote = new byte[28];
        new Ipv4Repr(Fixtures.IpA, Fixtures.IpB, IpProtocol.Udp, 1480, 64, 77, DontFragment: true).Emit(quote);
        var icmp = new byte[8 + quote.Length];
        quote.CopyTo(icmp, 8);
        IcmpRepr.DestinationUnreachable(IcmpUnreachableCode.FragmentationNeeded, quote.Length, 1000).Emit(icmp);
        var frame = new byte[14 + 20 + icmp.Length];
        EthernetFrame.WriteHeader(frame, Fixtures.MacA, Fixtures.MacB, EtherType.Ipv4);
        new Ipv4Repr(Fixtures.IpB, Fixtures.IpA, IpProtocol.Icmp, icmp.Length, 64).Emit(frame.AsSpan(14));
        icmp.CopyTo(frame, 34);
        net.Link.A.Inject(frame);
        net.Run();
        Assert.Equal(1, net.A.Counters.IcmpErrorsReceived);

        Assert.True(net.A.SendPing(Fixtures.IpB, 1, 2, 1472, net.Now));
        var frames = StackHarness.Sent(net.Link.B);
        Assert.Equal(2, frames.Count);
        Assert.All(frames, f => Assert.True(f.Length <= 14 + 1000));
    }
}
