using System.Buffers;
using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

public sealed partial class NetStack
{
    private const int PathMtuCacheEntries = 16;
    private static readonly TimeSpan PathMtuLifetime = TimeSpan.FromMinutes(10);   // RFC 1191 §6.3

    /// <summary>The one buffer every outgoing frame is built in (MTU + 14 bytes): nothing is allocated per frame.</summary>
    private readonly byte[] _frame;

    /// <summary>Where transport payloads (UDP datagram, ICMP message) are assembled before IP sends or fragments them.</summary>
    private readonly byte[] _transport = new byte[Ipv4Packet.MaxLength - Ipv4Packet.MinHeaderLength];

    private ushort _nextIdentification;

    /// <summary>Largest IPv4 payload one datagram can carry with a 20-byte header.</summary>
    internal const int MaxIpv4Payload = Ipv4Packet.MaxLength - Ipv4Packet.MinHeaderLength;

    /// <summary>Decides how <paramref name="destination"/> is reached (RFC 1122 §3.3.1.1: on-link directly, else the gateway).</summary>
    internal Route Route(Ipv4Address destination)
    {
        if (destination.IsBroadcast)
        {
            return new Route(RouteKind.Broadcast, destination, StackError.None);
        }
        if (_ipv4 is not { } config)
        {
            return new Route(RouteKind.None, default, StackError.NotConfigured);
        }
        if (destination == config.BroadcastAddress && config.Mask.Value != uint.MaxValue)
        {
            return new Route(RouteKind.Broadcast, destination, StackError.None);
        }
        if (destination.IsMulticast)
        {
            return new Route(RouteKind.Multicast, destination, StackError.None);
        }
        // There is no loopback interface: our own address, 0.0.0.0 and 127/8 are not reachable through the link
        // (RFC 1122 §3.2.1.3: 127/8 must never appear outside a host). ARPing for our own address would also look
        // like an address conflict to every neighbour.
        if (destination.IsAny || destination.IsLoopback || destination == config.Address)
        {
            return new Route(RouteKind.None, default, StackError.NoRoute);
        }
        if (config.IsOnLink(destination))
        {
            return new Route(RouteKind.OnLink, destination, StackError.None);
        }
        // RFC 1122 §3.3.1.1: off-link traffic goes to a gateway, which must itself be on the connected network.
        if (!config.Gateway.IsAny && config.IsOnLink(config.Gateway))
        {
            return new Route(RouteKind.Gateway, config.Gateway, StackError.None);
        }
        return new Route(RouteKind.None, default, StackError.NoRoute);
    }

    /// <summary>Whether <paramref name="destination"/> is the limited or our subnet-directed broadcast address.</summary>
    internal bool IsBroadcastAddress(Ipv4Address destination) =>
        destination.IsBroadcast || (_ipv4 is { } c && destination == c.BroadcastAddress && c.Mask.Value != uint.MaxValue);

    /// <summary>
    /// Sends <paramref name="payload"/> (a transport message) in one or more IPv4 datagrams: routes, resolves the next
    /// hop (parking the datagram if ARP must ask first) and fragments to the path MTU. Returns None when sent or
    /// queued for ARP; otherwise the reason, which has also been counted as a drop.
    /// </summary>
    internal StackError SendIpv4(Ipv4Address source, Ipv4Address destination, IpProtocol protocol,
        ReadOnlySpan<byte> payload, bool dontFragment, Instant now)
    {
        if (payload.Length > MaxIpv4Payload)
        {
            Counters.Drop(DropReason.PacketTooBig);
            return StackError.MessageTooLong;
        }
        if (!IsLinkUp)
        {
            Counters.Drop(DropReason.LinkDown);
            return StackError.LinkDown;
        }
        var route = Route(destination);
        switch (route.Kind)
        {
            case RouteKind.None:
                Counters.Drop(route.Error == StackError.NotConfigured ? DropReason.NotConfigured : DropReason.NoRoute);
                return route.Error;
            case RouteKind.Broadcast:
                return TransmitIpv4(MacAddress.Broadcast, source, destination, protocol, payload, dontFragment, now);
            case RouteKind.Multicast:
                // RFC 1112 §6.4: 01:00:5e followed by the low 23 bits of the group address.
                var group = new MacAddress(0x01005E000000UL | (destination.Value & 0x7FFFFF));
                return TransmitIpv4(group, source, destination, protocol, payload, dontFragment, now);
        }
        if (dontFragment && Ipv4Packet.MinHeaderLength + payload.Length > _pathMtu.Get(destination, _device.Mtu, now))
        {
            Counters.Drop(DropReason.PacketTooBig);
            return StackError.MessageTooLong;
        }
        if (TryResolve(route.NextHop, now, out var mac))
        {
            return TransmitIpv4(mac, source, destination, protocol, payload, dontFragment, now);
        }
        return EnqueuePending(route.NextHop, source, destination, protocol, payload, dontFragment, now);
    }

    /// <summary>
    /// Builds and transmits the datagram to <paramref name="mac"/>, fragmenting it when it exceeds the path MTU
    /// (RFC 791 §3.2 fragmentation procedure: every fragment but the last carries a multiple of 8 data bytes).
    /// </summary>
    private StackError TransmitIpv4(MacAddress mac, Ipv4Address source, Ipv4Address destination, IpProtocol protocol,
        ReadOnlySpan<byte> payload, bool dontFragment, Instant now)
    {
        int mtu = _pathMtu.Get(destination, _device.Mtu, now);
        ushort id = _nextIdentification++;
        EthernetFrame.WriteHeader(_frame, mac, _options.Mac, EtherType.Ipv4);
        var ip = _frame.AsSpan(EthernetFrame.HeaderLength);
        const int H = Ipv4Packet.MinHeaderLength;
        if (H + payload.Length <= mtu)
        {
            new Ipv4Repr(source, destination, protocol, payload.Length, _options.DefaultTtl, id, dontFragment).Emit(ip);
            payload.CopyTo(ip[H..]);
            var error = Transmit(_frame.AsSpan(0, EthernetFrame.HeaderLength + H + payload.Length));
            if (error == StackError.None)
            {
                Counters.Ipv4Sent++;
            }
            return error;
        }
        if (dontFragment)
        {
            Counters.Drop(DropReason.PacketTooBig);
            return StackError.MessageTooLong;
        }
        int chunk = (mtu - H) & ~7;
        for (int offset = 0; offset < payload.Length; offset += chunk)
        {
            int length = Math.Min(chunk, payload.Length - offset);
            bool more = offset + length < payload.Length;
            new Ipv4Repr(source, destination, protocol, length, _options.DefaultTtl, id, false, more, offset).Emit(ip);
            payload.Slice(offset, length).CopyTo(ip[H..]);
            var error = Transmit(_frame.AsSpan(0, EthernetFrame.HeaderLength + H + length));
            if (error != StackError.None)
            {
                // The rest is useless without this fragment: the receiver would only time it out.
                return error;
            }
            Counters.FragmentsSent++;
        }
        Counters.Ipv4Sent++;
        Counters.DatagramsFragmented++;
        return StackError.None;
    }

    /// <summary>Hands one complete frame to the device; never more than MTU + 14 bytes.</summary>
    private StackError Transmit(ReadOnlySpan<byte> frame)
    {
        if (frame.Length > EthernetFrame.HeaderLength + _device.Mtu)
        {
            Counters.Drop(DropReason.FrameTooLarge);
            return StackError.MessageTooLong;
        }
        if (!IsLinkUp)
        {
            Counters.Drop(DropReason.LinkDown);
            return StackError.LinkDown;
        }
        if (!_device.Transmit(frame))
        {
            Counters.Drop(DropReason.DeviceRefused);
            return StackError.DeviceRefused;
        }
        Counters.FramesSent++;
        Counters.BytesSent += frame.Length;
        return StackError.None;
    }

    private static byte[] RentCopy(ReadOnlySpan<byte> payload)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(payload.Length, 1));
        payload.CopyTo(buffer);
        return buffer;
    }
}
