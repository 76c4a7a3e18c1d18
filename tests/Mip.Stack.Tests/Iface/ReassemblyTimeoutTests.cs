using Mip.Stack.Iface;
using Mip.Stack.Phy;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Iface;

/// <summary>RFC 1122 §3.3.2: a reassembly timeout after fragment zero arrived is reported with ICMP Time Exceeded, code 1.</summary>
public sealed class ReassemblyTimeoutTests
{
    private const ushort Identification = 0x4242;
    private readonly InMemoryLink _link = new();
    private readonly Instant _now = Instant.FromSeconds(1);
    private readonly NetStack _stack;

    public ReassemblyTimeoutTests()
    {
        _stack = StackHarness.Stack(_link.A, Fixtures.MacB, StackHarness.Config(Fixtures.IpB), _now,
            customize: o => new StackOptions { Mac = o.Mac, StaticIpv4 = o.StaticIpv4, ReassemblyTimeout = TimeSpan.FromSeconds(30) });
        _stack.Poll(_now);
        _link.A.Inject(Fixtures.ArpRequest);    // learn A's MAC so the error goes out at once
        _stack.Poll(_now);
        StackHarness.Sent(_link.B);
    }

    [Fact]
    public void Timeout_with_fragment_zero_sends_time_exceeded_quoting_its_header_and_eight_bytes()
    {
        // A 48-byte UDP datagram cut in two; only the first 24 bytes (offset 0, MF set) ever arrive.
        var udp = UdpPayload(48);
        var first = Fragment(udp.AsSpan(0, 24), offset: 0, more: true, destination: Fixtures.IpB);
        _link.A.Inject(first);
        _stack.Poll(_now);
        Assert.Empty(StackHarness.Sent(_link.B));
        Assert.Equal(_now + TimeSpan.FromSeconds(30), _stack.NextPollAt(_now));

        _stack.Poll(_now + TimeSpan.FromSeconds(29.9));
        Assert.Empty(StackHarness.Sent(_link.B));
        _stack.Poll(_now + TimeSpan.FromSeconds(30));

        var frame = Assert.Single(StackHarness.Sent(_link.B));
        Assert.True(EthernetFrame.TryCreate(frame, out var eth));
        Assert.Equal(Fixtures.MacA, eth.Destination);
        Assert.True(Ipv4Packet.TryCreate(eth.Payload, out var ip));
        Assert.Equal((IpProtocol.Icmp, Fixtures.IpB, Fixtures.IpA), (ip.Protocol, ip.Source, ip.Destination));
        Assert.True(IcmpPacket.TryCreate(ip.Payload, out var icmp));
        Assert.True(icmp.IsChecksumValid);
        Assert.True(IcmpRepr.TryParse(icmp, out var repr));
        Assert.Equal(IcmpType.TimeExceeded, repr.Type);
        Assert.Equal((byte)IcmpTimeExceededCode.FragmentReassemblyTimeExceeded, repr.Code);
        // RFC 792: the internet header of fragment zero as received, then its first 64 bits of data.
        Assert.Equal(first.AsSpan(14, 20 + 8).ToArray(), icmp.Data.ToArray());
        Assert.Equal(1, _stack.Counters.Drops(DropReason.ReassemblyTimeout));
        Assert.Equal(1, _stack.Counters.IcmpErrorsSent);
    }

    [Fact]
    public void Timeout_without_fragment_zero_is_silent()
    {
        var udp = UdpPayload(48);
        _link.A.Inject(Fragment(udp.AsSpan(24), offset: 24, more: false, destination: Fixtures.IpB));
        _stack.Poll(_now);
        _stack.Poll(_now + TimeSpan.FromSeconds(30));
        Assert.Empty(StackHarness.Sent(_link.B));
        Assert.Equal(1, _stack.Counters.Drops(DropReason.ReassemblyTimeout));
        Assert.Equal(0, _stack.Counters.IcmpErrorsSent);
    }

    [Fact]
    public void Timeout_of_fragments_sent_to_the_subnet_broadcast_is_silent()
    {
        // RFC 1122 §3.2.2: no ICMP error about a datagram sent to a broadcast address.
        var udp = UdpPayload(48);
        _link.A.Inject(Fragment(udp.AsSpan(0, 24), offset: 0, more: true, destination: Ipv4Address.Parse("192.168.2.255")));
        _stack.Poll(_now);
        _stack.Poll(_now + TimeSpan.FromSeconds(30));
        Assert.Empty(StackHarness.Sent(_link.B));
        Assert.Equal(1, _stack.Counters.Drops(DropReason.ReassemblyTimeout));
    }

    [Fact]
    public void Completed_datagrams_never_time_out()
    {
        using var socket = new UdpSocketScope(_stack.OpenUdp(9));
        var udp = UdpPayload(48);
        _link.A.Inject(Fragment(udp.AsSpan(0, 24), offset: 0, more: true, destination: Fixtures.IpB));
        _link.A.Inject(Fragment(udp.AsSpan(24), offset: 24, more: false, destination: Fixtures.IpB));
        _stack.Poll(_now);
        _stack.Poll(_now + TimeSpan.FromSeconds(60));
        Assert.Equal(1, socket.Socket.PendingDatagrams);
        Assert.Empty(StackHarness.Sent(_link.B));
        Assert.Equal(0, _stack.Counters.Drops(DropReason.ReassemblyTimeout));
    }

    /// <summary>A UDP datagram (header + data) from A:5000 to B:9 with a valid checksum.</summary>
    private static byte[] UdpPayload(int length)
    {
        var datagram = new byte[length];
        for (int i = UdpRepr.HeaderLength; i < length; i++)
        {
            datagram[i] = (byte)(i * 7);
        }
        new UdpRepr(5000, 9, length - UdpRepr.HeaderLength).Emit(datagram, Fixtures.IpA, Fixtures.IpB);
        return datagram;
    }

    private static byte[] Fragment(ReadOnlySpan<byte> data, int offset, bool more, Ipv4Address destination)
    {
        var frame = new byte[14 + 20 + data.Length];
        var mac = destination == Fixtures.IpB ? Fixtures.MacB : MacAddress.Broadcast;
        EthernetFrame.WriteHeader(frame, mac, Fixtures.MacA, EtherType.Ipv4);
        new Ipv4Repr(Fixtures.IpA, destination, IpProtocol.Udp, data.Length, 64, Identification,
            MoreFragments: more, FragmentOffset: offset).Emit(frame.AsSpan(14));
        data.CopyTo(frame.AsSpan(34));
        return frame;
    }

    private sealed class UdpSocketScope(Mip.Stack.Sockets.UdpSocket socket) : IDisposable
    {
        public Mip.Stack.Sockets.UdpSocket Socket { get; } = socket;
        public void Dispose() => Socket.Close();
    }
}
