using Mip.Stack.Iface;
using Mip.Stack.Phy;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Iface;

public sealed class IcmpErrorTests
{
    private readonly InMemoryLink _link = new();
    private readonly Instant _now = Instant.FromSeconds(1);
    private readonly NetStack _stack;

    public IcmpErrorTests()
    {
        _stack = StackHarness.Stack(_link.A, Fixtures.MacB, StackHarness.Config(Fixtures.IpB), _now);
        _stack.Poll(_now);
        _link.A.Inject(Fixtures.ArpRequest);    // learn A's MAC so errors go out at once
        _stack.Poll(_now);
        StackHarness.Sent(_link.B);
    }

    [Fact]
    public void Udp_to_a_closed_port_gets_port_unreachable_quoting_the_datagram()
    {
        _link.A.Inject(Fixtures.UdpDatagram);
        _stack.Poll(_now);
        var frame = Assert.Single(StackHarness.Sent(_link.B));
        Assert.True(EthernetFrame.TryCreate(frame, out var eth));
        Assert.True(Ipv4Packet.TryCreate(eth.Payload, out var ip));
        Assert.Equal(IpProtocol.Icmp, ip.Protocol);
        Assert.Equal(Fixtures.IpB, ip.Source);
        Assert.Equal(Fixtures.IpA, ip.Destination);
        Assert.True(IcmpPacket.TryCreate(ip.Payload, out var icmp));
        Assert.True(IcmpRepr.TryParse(icmp, out var repr));
        Assert.Equal(IcmpType.DestinationUnreachable, repr.Type);
        Assert.Equal((byte)IcmpUnreachableCode.PortUnreachable, repr.Code);
        // The whole offending datagram fits in 576 bytes, so it is quoted whole (RFC 1812 §4.3.2.3).
        Assert.Equal(Fixtures.UdpDatagram.AsSpan(14).ToArray(), icmp.Data.ToArray());
        Assert.Equal(1, _stack.Counters.Drops(DropReason.UdpPortUnreachable));
        Assert.Equal(1, _stack.Counters.IcmpErrorsSent);
    }

    [Fact]
    public void Port_unreachable_from_a_peer_stack_reaches_the_sender_as_an_icmp_error()
    {
        var net = new TwoStacks();
        Assert.True(net.A.OpenUdp(10).TrySendTo([1], new Ipv4Endpoint(Fixtures.IpB, 9999), net.Now));
        net.Run();
        Assert.Equal(1, net.B.Counters.IcmpErrorsSent);
        Assert.Equal(1, net.A.Counters.IcmpErrorsReceived);
    }

    [Fact]
    public void No_error_for_broadcast_datagrams()
    {
        var broadcast = Fixtures.UdpDatagram;
        MacAddress.Broadcast.Write(broadcast);
        _link.A.Inject(broadcast);                  // unicast IP in a link-layer broadcast
        _stack.Poll(_now);
        Assert.Empty(StackHarness.Sent(_link.B));
        Assert.Equal(1, _stack.Counters.Drops(DropReason.UdpPortUnreachable));
    }

    [Fact]
    public void Errors_are_rate_limited()
    {
        for (int i = 0; i < 25; i++)
        {
            _link.A.Inject(Fixtures.UdpDatagram);
        }
        _stack.Poll(_now);
        Assert.Equal(10, StackHarness.Sent(_link.B).Count);
        Assert.Equal(15, _stack.Counters.IcmpErrorsRateLimited);
        _link.A.Inject(Fixtures.UdpDatagram);
        _stack.Poll(_now + TimeSpan.FromMilliseconds(100));
        Assert.Single(StackHarness.Sent(_link.B));
    }

    [Fact]
    public void Unknown_protocol_gets_protocol_unreachable()
    {
        var frame = Fixtures.UdpDatagram;
        frame[23] = 132;   // SCTP
        frame[24] = 0; frame[25] = 0;
        ushort sum = Checksum.Compute(frame.AsSpan(14, 20));
        frame[24] = (byte)(sum >> 8); frame[25] = (byte)sum;
        _link.A.Inject(frame);
        _stack.Poll(_now);
        var reply = Assert.Single(StackHarness.Sent(_link.B));
        Assert.Equal([3, 2], reply[34..36]);
        Assert.Equal(1, _stack.Counters.Drops(DropReason.UnknownProtocol));
    }

    [Fact]
    public void Host_unreachable_about_our_ping_is_reported()
    {
        Assert.True(_stack.SendPing(Ipv4Address.Parse("192.168.2.1"), 9, 4, 16, _now));
        var request = Assert.Single(StackHarness.Sent(_link.B));
        // A plays a router answering "host unreachable", quoting our request.
        var quote = request.AsSpan(14, 28).ToArray();
        var icmp = new byte[8 + quote.Length];
        quote.CopyTo(icmp, 8);
        IcmpRepr.DestinationUnreachable(IcmpUnreachableCode.HostUnreachable, quote.Length).Emit(icmp);
        var frame = new byte[34 + icmp.Length];
        EthernetFrame.WriteHeader(frame, Fixtures.MacB, Fixtures.MacA, EtherType.Ipv4);
        new Ipv4Repr(Fixtures.IpA, Fixtures.IpB, IpProtocol.Icmp, icmp.Length, 64).Emit(frame.AsSpan(14));
        icmp.CopyTo(frame, 34);
        _link.A.Inject(frame);
        _stack.Poll(_now);
        var failed = Assert.Single(StackHarness.DrainEvents(_stack).OfType<PingFailed>());
        Assert.Equal(new PingFailed(_now, Fixtures.IpA, 9, 4, PingFailureReason.HostUnreachable), failed);
    }
}
