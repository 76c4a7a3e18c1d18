using System.Buffers.Binary;
using Mip.Stack.Iface;
using Mip.Stack.Phy;
using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Netsim;

/// <summary>
/// Seeded mutations of valid frames against a configured stack (UDP socket open, DHCP server on): no exception ever
/// reaches the per-frame safety net, and every frame is accounted for, as received ARP or IPv4 or as a drop by reason.
/// Half of the mutants get their checksums repaired, so the damage reaches UDP, ICMP and DHCP parsing.
/// </summary>
public sealed class FrameFuzzTests
{
    private static readonly Instant Now = Instant.FromSeconds(50);
    private static readonly DropReason[] EgressReasons =
    [
        DropReason.NoRoute, DropReason.ArpQueueFull, DropReason.ArpUnresolved, DropReason.LinkDown,
        DropReason.NotConfigured, DropReason.DeviceRefused, DropReason.PacketTooBig,
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Mutated_frames_never_throw_and_each_is_received_or_dropped_by_reason(int seed)
    {
        var link = new InMemoryLink();
        var stack = new NetStack(link.A, new StackOptions
        {
            Mac = Fixtures.MacB,
            StaticIpv4 = Iface.StackHarness.Config(Fixtures.IpB),
            DhcpServer = new DhcpServerOptions { PoolStart = Ipv4Address.Parse("192.168.2.100"), PoolEnd = Ipv4Address.Parse("192.168.2.120") },
        }, new Random(seed), Now);
        using var socket = new SocketScope(stack.OpenUdp(7));
        var corpus = Corpus();
        var random = new Random(seed);
        const int Frames = 20_000;
        var t = Now;
        for (int i = 0; i < Frames; i++)
        {
            var frame = Mutate(corpus[random.Next(corpus.Length)], random);
            var c = stack.Counters;
            long frames = c.FramesReceived, arp = c.ArpReceived, ip = c.Ipv4Received, drops = IngressDrops(stack);
            link.A.Inject(frame);
            t += TimeSpan.FromMilliseconds(1);
            stack.Poll(t);
            Assert.Equal(frames + 1, c.FramesReceived);
            long accounted = (c.ArpReceived - arp) + (c.Ipv4Received - ip) + (IngressDrops(stack) - drops);
            Assert.True(accounted >= 1, $"frame {i} went unaccounted: {Convert.ToHexString(frame)}");
            Iface.StackHarness.Sent(link.B);
            while (socket.Socket.TryReceiveFrom(new byte[2048], out _, out _))
            {
            }
        }
        Assert.Equal(0, stack.Counters.Drops(DropReason.Malformed));
        // The repaired half must have got through to the transport parsers, or the fuzz only tested checksums.
        Assert.True(stack.Counters.UdpDatagramsReceived > 100 && stack.Counters.IcmpReceived > 100,
            $"udp={stack.Counters.UdpDatagramsReceived} icmp={stack.Counters.IcmpReceived}");
        Assert.True(stack.DhcpServer!.Counters.Ignored + stack.DhcpServer.Counters.DiscoversReceived > 100);
    }

    private static long IngressDrops(NetStack stack) =>
        stack.Counters.TotalDrops - EgressReasons.Sum(stack.Counters.Drops);

    private static byte[][] Corpus()
    {
        var udp = new byte[40];
        new Random(9).NextBytes(udp.AsSpan(UdpRepr.HeaderLength));
        new UdpRepr(5000, 7, udp.Length - UdpRepr.HeaderLength).Emit(udp, Fixtures.IpA, Fixtures.IpB);
        var discover = DhcpClientMessages.Discover(new DhcpClientIdentity(Fixtures.MacA, "fuzz", 576), 0xabcd, 0, null);
        var dhcp = new byte[UdpRepr.HeaderLength + discover.BufferLength];
        discover.Emit(dhcp.AsSpan(UdpRepr.HeaderLength));
        new UdpRepr(68, 67, discover.BufferLength).Emit(dhcp, Ipv4Address.Any, Ipv4Address.Broadcast);
        // A port unreachable about a datagram B sent to A, so the error path parses a quote.
        var quoted = new byte[28];
        new Ipv4Repr(Fixtures.IpB, Fixtures.IpA, IpProtocol.Udp, 8, 64, 1).Emit(quoted);
        new UdpRepr(7, 5000, 0).Emit(quoted.AsSpan(20), Fixtures.IpB, Fixtures.IpA);
        var error = new byte[IcmpPacket.HeaderLength + quoted.Length];
        quoted.CopyTo(error.AsSpan(IcmpPacket.HeaderLength));
        IcmpRepr.DestinationUnreachable(IcmpUnreachableCode.PortUnreachable, quoted.Length).Emit(error);
        return
        [
            Fixtures.ArpRequest,
            Fixtures.ArpReply,
            Fixtures.EchoRequest,
            Fixtures.UdpDatagram,
            Ip(Fixtures.MacB, Fixtures.IpA, Fixtures.IpB, IpProtocol.Udp, udp),
            Ip(Fixtures.MacB, Fixtures.IpA, Fixtures.IpB, IpProtocol.Udp, udp.AsSpan(0, 16), more: true),
            Ip(Fixtures.MacB, Fixtures.IpA, Fixtures.IpB, IpProtocol.Udp, udp.AsSpan(16), offset: 16),
            Ip(MacAddress.Broadcast, Ipv4Address.Any, Ipv4Address.Broadcast, IpProtocol.Udp, dhcp),
            Ip(Fixtures.MacB, Fixtures.IpA, Fixtures.IpB, IpProtocol.Icmp, error),
        ];
    }

    private static byte[] Ip(MacAddress to, Ipv4Address source, Ipv4Address destination, IpProtocol protocol,
        ReadOnlySpan<byte> payload, bool more = false, int offset = 0)
    {
        var frame = new byte[14 + 20 + payload.Length];
        EthernetFrame.WriteHeader(frame, to, Fixtures.MacA, EtherType.Ipv4);
        new Ipv4Repr(source, destination, protocol, payload.Length, 64, 0x77, MoreFragments: more, FragmentOffset: offset).Emit(frame.AsSpan(14));
        payload.CopyTo(frame.AsSpan(34));
        return frame;
    }

    private static byte[] Mutate(byte[] template, Random random)
    {
        var frame = template.ToArray();
        switch (random.Next(5))
        {
            case 0:
                for (int n = random.Next(1, 9); n > 0; n--)
                {
                    frame[random.Next(frame.Length)] ^= (byte)(1 << random.Next(8));
                }
                break;
            case 1:
                for (int n = random.Next(1, 5); n > 0; n--)
                {
                    frame[random.Next(frame.Length)] = (byte)random.Next(256);
                }
                break;
            case 2:
                frame = frame[..random.Next(frame.Length)];
                break;
            case 3:
                var junk = new byte[random.Next(1, 65)];
                random.NextBytes(junk);
                frame = [.. frame, .. junk];
                break;
            default:
                // A 16-bit field (length, offset, port, checksum ...) set to an extreme or random value.
                int at = 14 + (2 * random.Next((frame.Length - 14) / 2));
                ushort value = random.Next(3) switch { 0 => 0, 1 => 0xFFFF, _ => (ushort)random.Next(65536) };
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at), value);
                break;
        }
        if (random.Next(2) == 0)
        {
            RepairChecksums(frame);
        }
        return frame;
    }

    /// <summary>Recomputes the IPv4 header checksum and the UDP or ICMP checksum where the lengths allow it.</summary>
    private static void RepairChecksums(byte[] frame)
    {
        if (frame.Length < 34 || BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) != (ushort)EtherType.Ipv4)
        {
            return;
        }
        var ip = frame.AsSpan(14);
        int ihl = (ip[0] & 0x0F) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (ihl < 20 || ihl > ip.Length)
        {
            return;
        }
        ip[10] = ip[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip[..ihl]));
        if (total < ihl || total > ip.Length || (BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x3FFF) != 0)
        {
            return;
        }
        var payload = ip[ihl..total];
        var source = Ipv4Address.Read(ip[12..]);
        var destination = Ipv4Address.Read(ip[16..]);
        if (ip[9] == (byte)IpProtocol.Udp && payload.Length >= 8)
        {
            payload[6] = payload[7] = 0;
            var sum = Checksum.Accumulate(Checksum.PseudoHeader(source, destination, 17, payload.Length), payload);
            ushort udp = Checksum.Finish(sum);
            BinaryPrimitives.WriteUInt16BigEndian(payload[6..], udp == 0 ? (ushort)0xFFFF : udp);
        }
        else if (ip[9] == (byte)IpProtocol.Icmp && payload.Length >= 4)
        {
            payload[2] = payload[3] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(payload[2..], Checksum.Compute(payload));
        }
    }

    private sealed class SocketScope(Mip.Stack.Sockets.UdpSocket socket) : IDisposable
    {
        public Mip.Stack.Sockets.UdpSocket Socket { get; } = socket;
        public void Dispose() => Socket.Close();
    }
}
