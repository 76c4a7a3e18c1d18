using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>TCP ingress (demultiplexing, LISTEN and CLOSED rules) and egress (segments built in the frame buffer).</summary>
public sealed partial class NetStack
{
    private void ProcessTcp(in Ipv4Delivery delivery, ReadOnlySpan<byte> payload, Instant now)
    {
        if (!TcpPacket.TryCreate(payload, out var packet))
        {
            Counters.Drop(DropReason.TcpMalformed);
            return;
        }
        if (!packet.VerifyChecksum(delivery.Source, delivery.Destination))
        {
            Counters.Drop(DropReason.BadChecksum);
            return;
        }
        if (!TcpRepr.TryParse(packet, out var repr))
        {
            Counters.Drop(DropReason.TcpMalformed);
            return;
        }
        Counters.TcpSegmentsReceived++;
        if (delivery.IsBroadcast)
        {
            // RFC 1122 §4.2.3.10: a SYN (or anything) to a broadcast or multicast address is silently discarded.
            Counters.Drop(DropReason.NotForUs);
            return;
        }
        var tuple = new TcpFourTuple(delivery.Destination, repr.DestinationPort, delivery.Source, repr.SourcePort);
        TcpSeq minIss = default;
        if (_tcpTable.TryGetValue(tuple, out var socket))
        {
            bool bareSyn = (repr.Flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == TcpFlags.Syn;
            if (!(bareSyn && socket.AcceptsNewSyn(repr) && _tcpListeners.ContainsKey(repr.DestinationPort)))
            {
                socket.Process(repr, packet.Payload, now);
                return;
            }
            // RFC 6191: a new SYN ends TIME-WAIT early and opens a new incarnation through the listener.
            minIss = socket.SendMax;
            Counters.TcpTimeWaitReclaimed++;
            socket.Reclaim(now);
        }
        if (_tcpListeners.TryGetValue(repr.DestinationPort, out var listener))
        {
            ProcessListen(listener, tuple, repr, packet.Payload, minIss, now);
            return;
        }
        Counters.Drop(DropReason.TcpNoSocket);
        ResetForUnknown(tuple, repr, packet.Payload.Length, now);
    }

    /// <summary>
    /// RFC 9293 §3.10.7.1 (CLOSED): a segment without RST gets a RST; &lt;SEQ=SEG.ACK&gt;&lt;CTL=RST&gt; if it had an ACK,
    /// else &lt;SEQ=0&gt;&lt;ACK=SEG.SEQ+SEG.LEN&gt;&lt;CTL=RST,ACK&gt;.
    /// </summary>
    private void ResetForUnknown(TcpFourTuple tuple, in TcpRepr repr, int payloadLength, Instant now)
    {
        if (repr.HasFlag(TcpFlags.Rst))
        {
            return;
        }
        if (repr.HasFlag(TcpFlags.Ack))
        {
            SendTcpReset(tuple, repr.AcknowledgmentNumber, default, false, now);
            return;
        }
        int segLen = payloadLength + (repr.HasFlag(TcpFlags.Syn) ? 1 : 0) + (repr.HasFlag(TcpFlags.Fin) ? 1 : 0);
        SendTcpReset(tuple, default, repr.SequenceNumber + segLen, true, now);
    }

    /// <summary>
    /// RFC 9293 §3.10.7.2 (LISTEN): RST ignored; an ACK is either the end of a SYN-cookie handshake or gets a RST; a
    /// SYN opens a half-open connection, or a stateless cookie SYN-ACK when the SYN queue is full (RFC 4987 §3.6).
    /// </summary>
    private void ProcessListen(TcpListener listener, TcpFourTuple tuple, in TcpRepr repr, ReadOnlySpan<byte> payload,
        TcpSeq minIss, Instant now)
    {
        if (repr.HasFlag(TcpFlags.Rst))
        {
            return;
        }
        var secrets = Secrets();
        if (repr.HasFlag(TcpFlags.Ack))
        {
            if (!repr.HasFlag(TcpFlags.Syn)
                && secrets.Cookies.TryValidate(tuple.Local, tuple.Remote, repr.SequenceNumber, repr.AcknowledgmentNumber, now, out ushort mss)
                && TryDecodeCookieOptions(listener, tuple, repr, secrets, now, out byte? peerWindowScale, out bool sack))
            {
                if (listener.AcceptQueueFull)
                {
                    Counters.Drop(DropReason.TcpListenOverflow);
                    return;
                }
                Counters.TcpSynCookiesAccepted++;
                Counters.TcpPassiveOpens++;
                var s = NewTcpSocket(tuple, listener.Options, now, default, secrets.Cookies.TimestampOffset(tuple.Local, tuple.Remote));
                s.Listener = listener;
                s.StartFromCookie(repr, mss, peerWindowScale, sack, now);
                if (!payload.IsEmpty || repr.HasFlag(TcpFlags.Fin))
                {
                    s.Process(repr, payload, now);
                }
                return;
            }
            SendTcpReset(tuple, repr.AcknowledgmentNumber, default, false, now);
            return;
        }
        if (!repr.HasFlag(TcpFlags.Syn))
        {
            return; // "any other control or text-bearing segment ... drop it"
        }
        if (listener.AcceptQueueFull)
        {
            Counters.Drop(DropReason.TcpListenOverflow);
            return;
        }
        if (listener.HalfOpen >= listener.Backlog)
        {
            // The SYN queue is full: answer statelessly with a cookie (RFC 4987 §3.6). If the SYN carried a timestamp,
            // our TSval carries its window scale and SACK-permitted back to us (see SynCookies for the encoding), so
            // the SYN-ACK may offer them; without one they are lost, and not offered.
            ushort clientMss = repr.MaxSegmentSize is ushort m && m > 0 ? m : (ushort)TcpSocket.DefaultPeerMss;
            var cookie = secrets.Cookies.Encode(tuple.Local, tuple.Remote, repr.SequenceNumber, clientMss, now, out ushort mss);
            var options = listener.Options;
            TcpTimestamp? timestamp = null;
            byte? windowScale = null;
            bool sack = false;
            if (options.Timestamps && repr.Timestamp is TcpTimestamp peerTs)
            {
                byte? peerScale = options.WindowScaling ? repr.WindowScale : null;
                sack = options.Sack && repr.SackPermitted;
                uint tsNow = TcpSocket.TsClock(now, secrets.Cookies.TimestampOffset(tuple.Local, tuple.Remote));
                timestamp = new TcpTimestamp(SynCookies.EncodeTimestamp(tsNow, peerScale, sack), peerTs.TsVal);
                // Our own shift, as the socket created from the ACK will compute it (RFC 7323 §2.2: offered only in
                // answer to the peer's).
                windowScale = peerScale is null ? null : TcpSocket.WindowScaleFor(options.MaxReceiveBufferBytes);
            }
            var synAck = new TcpRepr
            {
                SourcePort = tuple.LocalPort,
                DestinationPort = tuple.RemotePort,
                SequenceNumber = cookie,
                AcknowledgmentNumber = repr.SequenceNumber + 1,
                Flags = TcpFlags.Syn | TcpFlags.Ack,
                Window = (ushort)Math.Min(options.ReceiveBufferBytes, ushort.MaxValue),
                MaxSegmentSize = mss,
                WindowScale = windowScale,
                SackPermitted = sack,
                Timestamp = timestamp,
            };
            SendTcpStateless(tuple, synAck, now);
            Counters.TcpSynCookiesSent++;
            return;
        }
        if (_tcpHalfOpen >= _options.TcpMaxHalfOpen)
        {
            Counters.TcpHalfOpenDropped++;
            Counters.Drop(DropReason.TcpListenOverflow);
            return;
        }
        Counters.TcpPassiveOpens++;
        var socket = NewTcpSocket(tuple, listener.Options, now, minIss);
        socket.Listener = listener;
        socket.CountedHalfOpen = true;
        listener.HalfOpen++;
        _tcpHalfOpen++;
        socket.StartPassive(repr, now);
    }

    /// <summary>
    /// The options a valid cookie ACK brings back in its TSecr (RFC 4987 §3.6; encoding in <see cref="SynCookies"/>).
    /// No timestamp (or timestamps off here): no options, the connection runs without them. A timestamp whose echo
    /// cannot be one of our cookie SYN-ACKs' fails the handshake like a bad cookie.
    /// </summary>
    private static bool TryDecodeCookieOptions(TcpListener listener, TcpFourTuple tuple, in TcpRepr ack, TcpSecrets secrets,
        Instant now, out byte? peerWindowScale, out bool sack)
    {
        peerWindowScale = null;
        sack = false;
        if (!listener.Options.Timestamps || ack.Timestamp is not TcpTimestamp ts)
        {
            return true;
        }
        uint tsNow = TcpSocket.TsClock(now, secrets.Cookies.TimestampOffset(tuple.Local, tuple.Remote));
        return SynCookies.TryDecodeTimestamp(ts.TsEcr, tsNow, out peerWindowScale, out sack);
    }

    /// <summary>Sends a RST for <paramref name="tuple"/> (from its local end) with the given numbers.</summary>
    internal void SendTcpReset(TcpFourTuple tuple, TcpSeq seq, TcpSeq ack, bool withAck, Instant now)
    {
        var rst = new TcpRepr
        {
            SourcePort = tuple.LocalPort,
            DestinationPort = tuple.RemotePort,
            SequenceNumber = seq,
            AcknowledgmentNumber = withAck ? ack : default,
            Flags = TcpFlags.Rst | (withAck ? TcpFlags.Ack : TcpFlags.None),
        };
        SendTcpStateless(tuple, rst, now);
        Counters.TcpResetsSent++;
    }

    /// <summary>A segment that belongs to no socket (RST, cookie SYN-ACK): built in the transport buffer, routed normally.</summary>
    private void SendTcpStateless(TcpFourTuple tuple, in TcpRepr repr, Instant now)
    {
        int length = repr.Emit(_transport, tuple.LocalAddress, tuple.RemoteAddress, []);
        if (SendIpv4(tuple.LocalAddress, tuple.RemoteAddress, IpProtocol.Tcp, _transport.AsSpan(0, length), true, now) == StackError.None)
        {
            Counters.TcpSegmentsSent++;
        }
    }

    /// <summary>
    /// Sends one segment of <paramref name="socket"/>: Ethernet, IPv4 (DF, RFC 1191) and TCP headers written in place
    /// in the frame buffer, the payload copied once from the send ring's two spans, the checksum computed over them.
    /// The neighbour is cached on the socket; while it is unresolved the segment waits in the ARP queue.
    /// </summary>
    internal void TransmitTcp(TcpSocket socket, in TcpRepr repr, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Instant now)
    {
        var tuple = socket.Tuple;
        if (!IsLinkUp)
        {
            Counters.Drop(DropReason.LinkDown);
            return;
        }
        MacAddress mac;
        if (socket.NextHop is { } cached && socket.NextHopVersion == _arp.Version && cached.State != ArpEntryState.Incomplete)
        {
            cached.UsedSinceConfirmed = true;
            mac = cached.Mac;
        }
        else
        {
            var route = Route(tuple.RemoteAddress);
            if (route.Kind is not (RouteKind.OnLink or RouteKind.Gateway))
            {
                Counters.Drop(route.Error == StackError.NotConfigured ? DropReason.NotConfigured : DropReason.NoRoute);
                return;
            }
            if (!_arp.TryGet(route.NextHop, out var entry) || entry.State == ArpEntryState.Incomplete)
            {
                int length = repr.Emit(_transport, tuple.LocalAddress, tuple.RemoteAddress, first, second);
                first.CopyTo(_transport.AsSpan(length));
                second.CopyTo(_transport.AsSpan(length + first.Length));
                int total = length + first.Length + second.Length;
                if (EnqueuePending(route.NextHop, tuple.LocalAddress, tuple.RemoteAddress, IpProtocol.Tcp,
                    _transport.AsSpan(0, total), true, now) == StackError.None)
                {
                    Counters.TcpSegmentsSent++;
                }
                return;
            }
            entry.UsedSinceConfirmed = true;
            socket.NextHop = entry;
            socket.NextHopVersion = _arp.Version;
            mac = entry.Mac;
        }
        EthernetFrame.WriteHeader(_frame, mac, _options.Mac, EtherType.Ipv4);
        var ip = _frame.AsSpan(EthernetFrame.HeaderLength);
        var tcp = ip[Ipv4Packet.MinHeaderLength..];
        int headerLength = repr.Emit(tcp, tuple.LocalAddress, tuple.RemoteAddress, first, second);
        int payloadLength = first.Length + second.Length;
        if (Ipv4Packet.MinHeaderLength + headerLength + payloadLength > _device.Mtu)
        {
            Counters.Drop(DropReason.PacketTooBig);
            return;
        }
        first.CopyTo(tcp[headerLength..]);
        second.CopyTo(tcp[(headerLength + first.Length)..]);
        new Ipv4Repr(tuple.LocalAddress, tuple.RemoteAddress, IpProtocol.Tcp, headerLength + payloadLength,
            _options.DefaultTtl, _nextIdentification++, DontFragment: true).Emit(ip);
        if (Transmit(_frame.AsSpan(0, EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + headerLength + payloadLength)) == StackError.None)
        {
            Counters.Ipv4Sent++;
            Counters.TcpSegmentsSent++;
        }
    }

    /// <summary>
    /// An ICMP error quoting one of our TCP segments (RFC 1122 §4.2.3.9, RFC 5927): find the connection from the
    /// quoted ports and let it judge the quoted sequence number.
    /// </summary>
    private void OnTcpIcmpError(Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> quoted, IcmpRepr repr, Instant now)
    {
        var tuple = new TcpFourTuple(source, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(quoted),
            destination, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(quoted[2..]));
        if (!_tcpTable.TryGetValue(tuple, out var socket))
        {
            return;
        }
        var seq = new TcpSeq(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(quoted[4..]));
        if (repr.Type == IcmpType.DestinationUnreachable)
        {
            socket.OnDestinationUnreachable((IcmpUnreachableCode)repr.Code, seq, now);
        }
    }
}
