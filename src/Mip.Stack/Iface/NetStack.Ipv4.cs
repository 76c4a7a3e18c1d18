using System.Buffers.Binary;
using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

public sealed partial class NetStack
{
    private const ushort DhcpClientPort = 68;

    /// <summary>
    /// What the transport layer needs to know about the datagram that carried it. <see cref="OriginalHeader"/> is
    /// the received header for ICMP error quotes; empty when the datagram was reassembled from fragments.
    /// </summary>
    private readonly ref struct Ipv4Delivery
    {
        public Ipv4Address Source { get; init; }
        public Ipv4Address Destination { get; init; }
        public IpProtocol Protocol { get; init; }
        public byte Ttl { get; init; }
        public ushort Identification { get; init; }
        public bool IsBroadcast { get; init; }
        public bool LinkBroadcast { get; init; }
        public ReadOnlySpan<byte> OriginalHeader { get; init; }
    }

    private void ProcessIpv4(ReadOnlySpan<byte> bytes, bool linkBroadcast, Instant now)
    {
        var error = Ipv4Packet.Validate(bytes);
        if (error != WireError.None)
        {
            Counters.Drop(ToDropReason(error));
            return;
        }
        Ipv4Packet.TryCreate(bytes, out var packet);
        // RFC 1122 §3.2.1.2: a host must verify the header checksum and silently discard on failure.
        if (!packet.IsChecksumValid)
        {
            Counters.Drop(DropReason.BadChecksum);
            return;
        }
        var source = packet.Source;
        // RFC 1122 §3.2.1.3: discard datagrams whose source is a broadcast or multicast address.
        if (source.IsBroadcast || source.IsMulticast || IsBroadcastAddress(source))
        {
            Counters.Drop(DropReason.InvalidSource);
            return;
        }
        var destination = packet.Destination;
        if (!IsForUs(packet))
        {
            Counters.Drop(DropReason.NotForUs);
            return;
        }
        Counters.Ipv4Received++;
        var delivery = new Ipv4Delivery
        {
            Source = source,
            Destination = destination,
            Protocol = packet.Protocol,
            Ttl = packet.Ttl,
            Identification = packet.Identification,
            IsBroadcast = IsBroadcastAddress(destination),
            LinkBroadcast = linkBroadcast,
            OriginalHeader = packet.IsFragment ? default : packet.Header,
        };
        if (!packet.IsFragment)
        {
            Deliver(delivery, packet.Payload, now);
            return;
        }
        // RFC 791 §3.2 / RFC 1122 §3.3.2: fragments are reassembled before the transport layer sees anything.
        Counters.FragmentsReceived++;
        var key = new FragmentKey(source, destination, (byte)packet.Protocol, packet.Identification);
        long memoryDropsBefore = _reassembler.DroppedForMemory;
        var status = _reassembler.Add(key, packet.FragmentOffset, packet.MoreFragments, packet.Payload, now, out var datagram);
        switch (status)
        {
            case ReassemblyStatus.Complete:
                Counters.DatagramsReassembled++;
                Deliver(delivery, datagram, now);
                break;
            case ReassemblyStatus.Dropped:
                Counters.Drop(_reassembler.DroppedForMemory > memoryDropsBefore ? DropReason.ReassemblyMemory : DropReason.BadFragment);
                break;
        }
    }

    /// <summary>
    /// RFC 1122 §3.2.1.3: accept datagrams to our address, the limited broadcast and our subnet broadcast. While
    /// unconfigured, DHCP replies to port 68 are accepted whatever the destination (RFC 2131 §4.1: a server may
    /// unicast the offer to the address it offers, to our MAC).
    /// </summary>
    private bool IsForUs(Ipv4Packet packet)
    {
        var destination = packet.Destination;
        if (destination.IsBroadcast)
        {
            return true;
        }
        if (_ipv4 is { } config)
        {
            return destination == config.Address || IsBroadcastAddress(destination);
        }
        var payload = packet.Payload;
        return packet.Protocol == IpProtocol.Udp && packet.FragmentOffset == 0 && payload.Length >= UdpPacket.HeaderLength
            && BinaryPrimitives.ReadUInt16BigEndian(payload[2..]) == DhcpClientPort;
    }

    private void Deliver(in Ipv4Delivery delivery, ReadOnlySpan<byte> payload, Instant now)
    {
        switch (delivery.Protocol)
        {
            case IpProtocol.Icmp:
                ProcessIcmp(delivery, payload, now);
                break;
            case IpProtocol.Udp:
                ProcessUdp(delivery, payload, now);
                break;
            case IpProtocol.Tcp:
                ProcessTcp(delivery, payload, now);
                break;
            default:
                Counters.Drop(DropReason.UnknownProtocol);
                // RFC 1122 §3.2.2.1: a host should report an unknown transport protocol with "protocol unreachable".
                SendIcmpError(delivery, payload, IcmpUnreachableCode.ProtocolUnreachable, now);
                break;
        }
    }
}
