using System.Buffers.Binary;
using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

public sealed partial class NetStack
{
    /// <summary>ICMP errors: a burst of 10, then one per 100 ms (RFC 1122 §3.2.2 asks for a limit; Linux allows 1000/s burst 50).</summary>
    private const int IcmpErrorBurst = 10;
    private static readonly TimeSpan IcmpErrorInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>RFC 1812 §4.3.2.3: quote as much of the offending datagram as keeps the error within 576 bytes.</summary>
    private const int MaxIcmpErrorQuote = 576 - Ipv4Packet.MinHeaderLength - IcmpPacket.HeaderLength;

    /// <summary>Echo data long enough for <see cref="SendPing"/>'s timestamp.</summary>
    private const int PingTimestampLength = 8;

    /// <summary>RFC 1191 §7 plateau table, used when a router's "fragmentation needed" carries no next-hop MTU.</summary>
    private static ReadOnlySpan<ushort> MtuPlateaus => [32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68];

    /// <summary>
    /// Sends an ICMP echo request with <paramref name="payloadBytes"/> bytes of data. When there are at least 8,
    /// the first 8 carry <paramref name="now"/> so the reply yields the round-trip time (as Linux ping does).
    /// Returns false when it cannot be sent (unconfigured, no route, link down, ARP queue full); the reply or a
    /// failure arrives as a <see cref="PingReplyReceived"/> or <see cref="PingFailed"/> event.
    /// </summary>
    public bool SendPing(Ipv4Address destination, ushort identifier, ushort sequence, int payloadBytes, Instant now)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadBytes, MaxIpv4Payload - IcmpPacket.HeaderLength);
        if (_ipv4 is not { } config)
        {
            Counters.Drop(DropReason.NotConfigured);
            return false;
        }
        var data = _transport.AsSpan(IcmpPacket.HeaderLength, payloadBytes);
        int filled = 0;
        if (payloadBytes >= PingTimestampLength)
        {
            BinaryPrimitives.WriteInt64BigEndian(data, now.Microseconds);
            filled = PingTimestampLength;
        }
        for (int i = filled; i < data.Length; i++)
        {
            data[i] = (byte)i;
        }
        var repr = IcmpRepr.EchoRequest(identifier, sequence, payloadBytes);
        repr.Emit(_transport);
        if (SendIpv4(config.Address, destination, IpProtocol.Icmp, _transport.AsSpan(0, repr.BufferLength), false, now) != StackError.None)
        {
            return false;
        }
        Counters.IcmpSent++;
        Counters.IcmpEchoRequestsSent++;
        return true;
    }

    private void ProcessIcmp(in Ipv4Delivery delivery, ReadOnlySpan<byte> payload, Instant now)
    {
        if (!IcmpPacket.TryCreate(payload, out var packet))
        {
            Counters.Drop(DropReason.Truncated);
            return;
        }
        if (!packet.IsChecksumValid)
        {
            Counters.Drop(DropReason.BadChecksum);
            return;
        }
        Counters.IcmpReceived++;
        if (!IcmpRepr.TryParse(packet, out var repr))
        {
            Counters.Drop(DropReason.UnsupportedIcmp);
            return;
        }
        switch (repr.Type)
        {
            case IcmpType.EchoRequest:
                Counters.IcmpEchoRequestsReceived++;
                ReplyToEcho(delivery, repr, packet.Data, now);
                break;
            case IcmpType.EchoReply:
                Counters.IcmpEchoRepliesReceived++;
                Publish(new PingReplyReceived(now, delivery.Source, repr.Identifier, repr.Sequence,
                    RoundTripTime(packet.Data, now), delivery.Ttl, repr.DataLength));
                break;
            default:
                Counters.IcmpErrorsReceived++;
                ProcessIcmpError(repr, packet.Data, now);
                break;
        }
    }

    private void ReplyToEcho(in Ipv4Delivery delivery, IcmpRepr request, ReadOnlySpan<byte> data, Instant now)
    {
        // RFC 1122 §3.2.2.6: echo requests to a broadcast address may be silently discarded. We do, so the stack
        // can never be a smurf amplifier. Unconfigured, we have no address to answer from.
        if (delivery.IsBroadcast || _ipv4 is null)
        {
            Counters.Drop(delivery.IsBroadcast ? DropReason.BroadcastEchoIgnored : DropReason.NotConfigured);
            return;
        }
        // RFC 1122 §3.2.2.6: the reply carries the same identifier, sequence and data, and is sent from the
        // address the request was sent to.
        var reply = IcmpRepr.EchoReply(request.Identifier, request.Sequence, data.Length);
        data.CopyTo(_transport.AsSpan(IcmpPacket.HeaderLength));
        reply.Emit(_transport);
        if (SendIpv4(delivery.Destination, delivery.Source, IpProtocol.Icmp, _transport.AsSpan(0, reply.BufferLength), false, now) == StackError.None)
        {
            Counters.IcmpSent++;
            Counters.IcmpEchoRepliesSent++;
        }
    }

    private static TimeSpan? RoundTripTime(ReadOnlySpan<byte> data, Instant now)
    {
        if (data.Length < PingTimestampLength)
        {
            return null;
        }
        long sent = BinaryPrimitives.ReadInt64BigEndian(data);
        // Someone else's ping, or a mangled echo: a timestamp in the future is not ours to trust.
        return sent >= 0 && sent <= now.Microseconds ? now - new Instant(sent) : null;
    }

    /// <summary>An ICMP error about a datagram we sent: learn path MTU (RFC 1191) and report failed pings.</summary>
    private void ProcessIcmpError(IcmpRepr repr, ReadOnlySpan<byte> quote, Instant now)
    {
        // RFC 1122 §3.2.2: the error quotes the offending header; it must be one of ours to be acted on.
        if (!Ipv4Packet.TryCreateQuoted(quote, out var original))
        {
            Counters.Drop(DropReason.Truncated);
            return;
        }
        if (_ipv4 is not { } config || original.Source != config.Address)
        {
            Counters.Drop(DropReason.NotForUs);
            return;
        }
        if (repr.Type == IcmpType.DestinationUnreachable && repr.Code == (byte)IcmpUnreachableCode.FragmentationNeeded)
        {
            int mtu = repr.NextHopMtu != 0 ? repr.NextHopMtu : PlateauBelow(original.TotalLength);
            _pathMtu.Reduce(original.Destination, mtu, _device.Mtu, now);
        }
        var quoted = original.Payload;
        if (original.Protocol == IpProtocol.Tcp && original.FragmentOffset == 0 && quoted.Length >= 8)
        {
            OnTcpIcmpError(original.Source, original.Destination, quoted, repr, now);
        }
        if (original.Protocol == IpProtocol.Icmp && original.FragmentOffset == 0 && quoted.Length >= IcmpPacket.HeaderLength
            && quoted[0] == (byte)IcmpType.EchoRequest)
        {
            var reason = repr.Type == IcmpType.TimeExceeded ? PingFailureReason.TtlExceeded : (IcmpUnreachableCode)repr.Code switch
            {
                IcmpUnreachableCode.NetUnreachable or IcmpUnreachableCode.DestinationNetworkUnknown
                    or IcmpUnreachableCode.NetworkAdministrativelyProhibited or IcmpUnreachableCode.NetworkUnreachableForTos
                    => PingFailureReason.NetworkUnreachable,
                IcmpUnreachableCode.HostUnreachable or IcmpUnreachableCode.DestinationHostUnknown
                    or IcmpUnreachableCode.HostAdministrativelyProhibited or IcmpUnreachableCode.HostUnreachableForTos
                    => PingFailureReason.HostUnreachable,
                _ => PingFailureReason.Unreachable,
            };
            Publish(new PingFailed(now, original.Destination, BinaryPrimitives.ReadUInt16BigEndian(quoted[4..]),
                BinaryPrimitives.ReadUInt16BigEndian(quoted[6..]), reason));
        }
    }

    private static int PlateauBelow(int totalLength)
    {
        foreach (ushort plateau in MtuPlateaus)
        {
            if (plateau < totalLength)
            {
                return plateau;
            }
        }
        return 68;
    }

    /// <summary>A datagram parked for ARP was dropped: if it was one of our echo requests, say the ping failed.</summary>
    private void ReportUnsentPing(in PendingDatagram datagram, Instant now,
        PingFailureReason reason = PingFailureReason.HostUnreachable)
    {
        var payload = datagram.Payload;
        if (datagram.Protocol == IpProtocol.Icmp && payload.Length >= IcmpPacket.HeaderLength && payload[0] == (byte)IcmpType.EchoRequest)
        {
            Publish(new PingFailed(now, datagram.Destination, BinaryPrimitives.ReadUInt16BigEndian(payload[4..]),
                BinaryPrimitives.ReadUInt16BigEndian(payload[6..]), reason));
        }
    }

    private ReassemblyTimeoutHandler? _onReassemblyTimeout;

    /// <summary>
    /// RFC 1122 §3.3.2: when reassembly times out and fragment zero had arrived, the host should send ICMP Time
    /// Exceeded, code 1 (RFC 792: "fragment reassembly time exceeded"), quoting fragment zero's header and the first
    /// 8 bytes of its data. The §3.2.2 limits apply: only about datagrams to our own address from a single host, and
    /// rate-limited.
    /// </summary>
    private void OnReassemblyTimeout(in FragmentKey key, ReadOnlySpan<byte> quote)
    {
        var now = _now;
        if (_ipv4 is not { } config || key.Destination != config.Address || key.Source.IsAny || key.Source.IsBroadcast
            || key.Source.IsMulticast || IsBroadcastAddress(key.Source))
        {
            return;
        }
        if (key.Protocol == (byte)IpProtocol.Icmp && Ipv4Packet.TryCreateQuoted(quote, out var original)
            && original.Payload is { Length: > 0 } icmp && icmp[0] is not ((byte)IcmpType.EchoRequest or (byte)IcmpType.EchoReply))
        {
            // RFC 1122 §3.2.2: never an ICMP error about an ICMP error.
            return;
        }
        if (!_icmpErrorLimiter.TryTake(now))
        {
            Counters.IcmpErrorsRateLimited++;
            return;
        }
        quote.CopyTo(_transport.AsSpan(IcmpPacket.HeaderLength));
        var repr = IcmpRepr.TimeExceeded(IcmpTimeExceededCode.FragmentReassemblyTimeExceeded, quote.Length);
        repr.Emit(_transport);
        if (SendIpv4(config.Address, key.Source, IpProtocol.Icmp, _transport.AsSpan(0, repr.BufferLength), false, now) == StackError.None)
        {
            Counters.IcmpSent++;
            Counters.IcmpErrorsSent++;
        }
    }

    /// <summary>
    /// Sends "destination unreachable" about a received datagram, within RFC 1122 §3.2.2's limits: never about a
    /// broadcast or multicast (IP or link), an ICMP error, a non-initial fragment (only whole datagrams get here),
    /// or a datagram whose source does not identify a single host; and rate-limited.
    /// </summary>
    private void SendIcmpError(in Ipv4Delivery delivery, ReadOnlySpan<byte> payload, IcmpUnreachableCode code, Instant now)
    {
        if (delivery.IsBroadcast || delivery.LinkBroadcast || delivery.Destination.IsMulticast || delivery.Source.IsAny
            || _ipv4 is not { } config)
        {
            return;
        }
        if (delivery.Protocol == IpProtocol.Icmp && (payload.Length == 0 || payload[0] is not ((byte)IcmpType.EchoRequest or (byte)IcmpType.EchoReply)))
        {
            return;
        }
        if (!_icmpErrorLimiter.TryTake(now))
        {
            Counters.IcmpErrorsRateLimited++;
            return;
        }
        var quote = _transport.AsSpan(IcmpPacket.HeaderLength);
        int headerLength;
        if (delivery.OriginalHeader.IsEmpty)
        {
            // Reassembled: quote a header describing the whole datagram as it would have been sent unfragmented.
            new Ipv4Repr(delivery.Source, delivery.Destination, delivery.Protocol, payload.Length, delivery.Ttl,
                delivery.Identification).Emit(quote);
            headerLength = Ipv4Packet.MinHeaderLength;
        }
        else
        {
            delivery.OriginalHeader.CopyTo(quote);
            headerLength = delivery.OriginalHeader.Length;
        }
        int dataLength = Math.Min(payload.Length, Math.Max(8, MaxIcmpErrorQuote - headerLength));
        payload[..dataLength].CopyTo(quote[headerLength..]);
        var repr = IcmpRepr.DestinationUnreachable(code, headerLength + dataLength);
        repr.Emit(_transport);
        if (SendIpv4(config.Address, delivery.Source, IpProtocol.Icmp, _transport.AsSpan(0, repr.BufferLength), false, now) == StackError.None)
        {
            Counters.IcmpSent++;
            Counters.IcmpErrorsSent++;
        }
    }
}
