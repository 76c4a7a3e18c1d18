using Mip.Stack.Iface;
using Mip.Stack.Phy;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Tests.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Tcp;

/// <summary>One segment the stack sent (or the harness sends): header fields and payload.</summary>
internal sealed record Segment(TcpRepr Repr, byte[] Payload, bool DontFragment)
{
    public TcpFlags Flags => Repr.Flags;
    public TcpSeq Seq => Repr.SequenceNumber;
    public TcpSeq Ack => Repr.AcknowledgmentNumber;

    public override string ToString() => $"{Repr.Flags} seq={Repr.SequenceNumber} ack={Repr.AcknowledgmentNumber} win={Repr.Window} len={Payload.Length} sack={Repr.SackBlocks}";
}

/// <summary>
/// Send/expect harness: the stack under test (the "local" end) sits on one end of an <see cref="InMemoryLink"/>; the
/// test plays the remote TCP, injecting byte-level segments (TcpRepr + payload wrapped in IPv4 and Ethernet, checksums
/// computed) and reading what the stack put on the wire. Time is fake and moves only when the test says so.
/// </summary>
internal sealed class TcpHarness
{
    public static readonly MacAddress PeerMac = Fixtures.MacA;
    public static readonly MacAddress LocalMac = Fixtures.MacB;

    private readonly InMemoryLink _link = new();
    private readonly Queue<byte[]> _captured = new();

    public TcpHarness(Ipv4Address? local = null, Ipv4Address? peer = null, Func<StackOptions, StackOptions>? customize = null)
    {
        LocalIp = local ?? Fixtures.IpB;
        PeerIp = peer ?? Fixtures.IpA;
        Stack = StackHarness.Stack(_link.A, LocalMac, StackHarness.Config(LocalIp), Now, 5, customize);
        // Teach the stack the peer's MAC the way a neighbour would: the peer asks for us (RFC 826 adds the asker).
        _link.A.Inject(ArpRequest());
        Poll();
        Drain();
    }

    public NetStack Stack { get; }
    public Ipv4Address LocalIp { get; }
    public Ipv4Address PeerIp { get; }
    public Instant Now { get; private set; } = Instant.FromSeconds(1000);

    /// <summary>Whether the peer answers ARP requests for its address (a neighbour that went away does not).</summary>
    public bool AnswerArp { get; set; } = true;

    /// <summary>Peer timestamp clock for segments the test builds (ms).</summary>
    public uint PeerTsVal { get; set; } = 5000;

    public void Advance(TimeSpan by)
    {
        Now += by;
        Poll();
    }

    /// <summary>Polls repeatedly, jumping to each timer, until <paramref name="until"/> (inclusive).</summary>
    public void RunUntil(Instant until)
    {
        Poll();
        while (true)
        {
            var next = Stack.NextPollAt(Now);
            if (next > until)
            {
                Now = until;
                Poll();
                return;
            }
            Now = next > Now ? next : Now + TimeSpan.FromMilliseconds(1);
            Poll();
        }
    }

    /// <summary>Injects a segment from the peer and polls once.</summary>
    public void Send(TcpRepr repr, ReadOnlySpan<byte> payload = default)
    {
        _link.A.Inject(Frame(repr, payload));
        Poll();
    }

    /// <summary>Injects raw TCP bytes (header + payload, e.g. a kernel fixture) from the peer.</summary>
    public void SendRaw(ReadOnlySpan<byte> tcp)
    {
        _link.A.Inject(Wrap(tcp));
        Poll();
    }

    /// <summary>
    /// An ICMP destination-unreachable from the peer's address quoting a segment we sent (its IPv4 header with
    /// <paramref name="quotedTotalLength"/> and the first 8 TCP bytes: ports and sequence number).
    /// </summary>
    public void SendUnreachable(IcmpUnreachableCode code, Segment quoted, ushort nextHopMtu = 0, int quotedTotalLength = 1500)
    {
        var icmp = IcmpRepr.DestinationUnreachable(code, 28, nextHopMtu);
        var message = new byte[icmp.BufferLength];
        new Ipv4Repr(LocalIp, PeerIp, IpProtocol.Tcp, quotedTotalLength - 20, 64, 7, true).Emit(message.AsSpan(8));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(28), quoted.Repr.SourcePort);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(30), quoted.Repr.DestinationPort);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(32), quoted.Seq.Value);
        icmp.Emit(message);
        var frame = new byte[14 + 20 + message.Length];
        EthernetFrame.WriteHeader(frame, LocalMac, PeerMac, EtherType.Ipv4);
        new Ipv4Repr(PeerIp, LocalIp, IpProtocol.Icmp, message.Length, 64, 2).Emit(frame.AsSpan(14));
        message.CopyTo(frame.AsSpan(34));
        _link.A.Inject(frame);
        Poll();
    }

    /// <summary>Everything the stack sent since the last call, TCP segments only.</summary>
    public List<Segment> Drain()
    {
        var list = new List<Segment>();
        if (Capture())
        {
            Poll();
        }
        while (_captured.TryDequeue(out var frame))
        {
            if (!EthernetFrame.TryCreate(frame, out var eth) || eth.EtherType != EtherType.Ipv4)
            {
                continue;
            }
            Assert.True(Ipv4Packet.TryCreate(eth.Payload, out var ip));
            Assert.True(ip.IsChecksumValid);
            if (ip.Protocol != IpProtocol.Tcp)
            {
                continue;
            }
            Assert.Equal(PeerMac, eth.Destination);
            Assert.True(TcpPacket.TryCreate(ip.Payload, out var tcp));
            Assert.True(tcp.VerifyChecksum(ip.Source, ip.Destination), "bad TCP checksum from the stack");
            Assert.True(TcpRepr.TryParse(tcp, out var repr));
            list.Add(new Segment(repr, tcp.Payload.ToArray(), ip.DontFragment));
        }
        return list;
    }

    /// <summary>
    /// Polls the stack and takes what it sent: ARP requests for the peer are answered at once (a live neighbour),
    /// everything else is kept for <see cref="Drain"/>.
    /// </summary>
    private void Poll()
    {
        for (int round = 0; round < 4; round++)
        {
            Stack.Poll(Now);
            if (!Capture())
            {
                return;
            }
        }
    }

    /// <summary>Moves frames from the wire into the capture; returns true if an ARP request was answered.</summary>
    private bool Capture()
    {
        {
            bool answered = false;
            while (_link.B.TryTake(out var frame))
            {
                if (EthernetFrame.TryCreate(frame, out var eth) && eth.EtherType == EtherType.Arp)
                {
                    if (ArpPacket.TryCreate(eth.Payload, out var arpPacket) && ArpRepr.TryParse(arpPacket, out var arp)
                        && arp.Operation == ArpOperation.Request && arp.TargetIp == PeerIp && AnswerArp)
                    {
                        _link.A.Inject(ArpReply());
                        answered = true;
                    }
                    continue;
                }
                _captured.Enqueue(frame);
            }
            return answered;
        }
    }

    /// <summary>Exactly one segment was sent; returns it.</summary>
    public Segment ExpectOne()
    {
        var sent = Drain();
        Assert.True(sent.Count == 1, $"expected one segment, got {sent.Count}: {string.Join("; ", sent)}");
        return sent[0];
    }

    public void ExpectNothing()
    {
        var sent = Drain();
        Assert.True(sent.Count == 0, $"expected silence, got: {string.Join("; ", sent)}");
    }

    /// <summary>A segment from the peer's port to the local port, with the given numbers and flags.</summary>
    public static TcpRepr Seg(ushort from, ushort to, TcpSeq seq, TcpSeq ack, TcpFlags flags, ushort window = 65535) => new()
    {
        SourcePort = from,
        DestinationPort = to,
        SequenceNumber = seq,
        AcknowledgmentNumber = ack,
        Flags = flags,
        Window = window,
    };

    private byte[] Frame(TcpRepr repr, ReadOnlySpan<byte> payload)
    {
        var tcp = new byte[repr.HeaderLength + payload.Length];
        int h = repr.Emit(tcp, PeerIp, LocalIp, payload);
        payload.CopyTo(tcp.AsSpan(h));
        return Wrap(tcp);
    }

    private byte[] Wrap(ReadOnlySpan<byte> tcp)
    {
        var frame = new byte[14 + 20 + tcp.Length];
        EthernetFrame.WriteHeader(frame, LocalMac, PeerMac, EtherType.Ipv4);
        new Ipv4Repr(PeerIp, LocalIp, IpProtocol.Tcp, tcp.Length, 64, 1, true).Emit(frame.AsSpan(14));
        tcp.CopyTo(frame.AsSpan(34));
        return frame;
    }

    private byte[] ArpReply()
    {
        var frame = new byte[14 + ArpRepr.BufferLength];
        EthernetFrame.WriteHeader(frame, LocalMac, PeerMac, EtherType.Arp);
        new ArpRepr(ArpOperation.Reply, PeerMac, PeerIp, LocalMac, LocalIp).Emit(frame.AsSpan(14));
        return frame;
    }

    private byte[] ArpRequest()
    {
        var frame = new byte[14 + ArpRepr.BufferLength];
        EthernetFrame.WriteHeader(frame, MacAddress.Broadcast, PeerMac, EtherType.Arp);
        new ArpRepr(ArpOperation.Request, PeerMac, PeerIp, MacAddress.Zero, LocalIp).Emit(frame.AsSpan(14));
        return frame;
    }
}

/// <summary>A connection between the stack and the scripted peer, set up by a passive or active handshake.</summary>
internal sealed class TcpConnection
{
    public const ushort LocalPort = 80;
    public const ushort PeerPort = 40000;

    private TcpConnection(TcpHarness h, TcpSocket socket, TcpSeq peerNext, TcpSeq localNext, Segment synAck)
    {
        H = h;
        Socket = socket;
        PeerNext = peerNext;
        LocalNext = localNext;
        Handshake = synAck;
    }

    public TcpHarness H { get; }
    public TcpSocket Socket { get; }

    /// <summary>The peer's next sequence number (what the stack should acknowledge).</summary>
    public TcpSeq PeerNext { get; set; }

    /// <summary>The stack's next sequence number as the peer has seen it.</summary>
    public TcpSeq LocalNext { get; set; }

    public Segment Handshake { get; }
    public bool Timestamps { get; private init; }

    /// <summary>
    /// The stack accepts a connection from the peer. <paramref name="peerOptions"/> decides which options the SYN
    /// offers (MSS 1460 always).
    /// </summary>
    public static TcpConnection Accept(TcpHarness h, TcpSocketOptions? options = null, bool timestamps = false,
        bool sack = false, byte? windowScale = null, ushort window = 65535, ushort mss = 1460)
    {
        var listener = h.Stack.ListenTcp(LocalPort, options: options);
        var iss = new TcpSeq(1_000_000);
        h.Send(TcpHarness.Seg(PeerPort, LocalPort, iss, default, TcpFlags.Syn, window) with
        {
            MaxSegmentSize = mss,
            SackPermitted = sack,
            WindowScale = windowScale,
            Timestamp = timestamps ? new TcpTimestamp(h.PeerTsVal, 0) : null,
        });
        var synAck = h.ExpectOne();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        h.Send(TcpHarness.Seg(PeerPort, LocalPort, iss + 1, synAck.Seq + 1, TcpFlags.Ack, window) with
        {
            Timestamp = timestamps ? new TcpTimestamp(++h.PeerTsVal, synAck.Repr.Timestamp?.TsVal ?? 0) : null,
        });
        h.ExpectNothing();
        Assert.True(listener.TryAccept(out var socket));
        Assert.Equal(TcpState.Established, socket.State);
        return new TcpConnection(h, socket, iss + 1, synAck.Seq + 1, synAck) { Timestamps = timestamps };
    }

    /// <summary>A segment from the peer at <see cref="PeerNext"/> acknowledging <paramref name="ack"/> (default LocalNext).</summary>
    public TcpRepr Peer(TcpFlags flags = TcpFlags.Ack, TcpSeq? ack = null, ushort window = 65535, TcpSeq? seq = null) =>
        TcpHarness.Seg(PeerPort, LocalPort, seq ?? PeerNext, ack ?? LocalNext, flags, window) with
        {
            Timestamp = Timestamps ? new TcpTimestamp(++H.PeerTsVal, 0) : null,
        };

    /// <summary>The peer sends <paramref name="data"/> in order.</summary>
    public void PeerSends(byte[] data, TcpFlags extra = TcpFlags.None)
    {
        H.Send(Peer(TcpFlags.Ack | extra), data);
        PeerNext += data.Length + ((extra & TcpFlags.Fin) != 0 ? 1 : 0);
    }
}
