using Mip.Stack.Iface;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Tests.Iface;
using Mip.Stack.Tests.Wire;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Tcp;

public sealed class TcpHandshakeTests
{
    [Fact]
    public void Passive_open_answers_a_Linux_SYN_with_every_option_and_completes()
    {
        // The kernel's SYN (10.9.0.1:59092 -> 10.9.0.2:80, MSS 1460, SACK-permitted, TS 0x4498a521, WS 7).
        var h = new TcpHarness(local: TcpFixtures.Peer, peer: TcpFixtures.Kernel);
        var listener = h.Stack.ListenTcp(80);
        h.SendRaw(TcpFixtures.Syn);
        var synAck = h.ExpectOne();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(new TcpSeq(0x0308e9ff + 1), synAck.Ack);
        Assert.Equal((ushort)1460, synAck.Repr.MaxSegmentSize);        // RFC 9293 §3.7.1: MTU 1500 - 40
        Assert.Equal((byte)8, synAck.Repr.WindowScale);                 // 65535 << 7 is just short of 8 MiB
        Assert.True(synAck.Repr.SackPermitted);
        Assert.Equal(0x4498a521u, synAck.Repr.Timestamp!.Value.TsEcr);   // RFC 7323 §3.2: echo TSval
        Assert.Equal((ushort)65535, synAck.Repr.Window);                // SYN windows are never scaled
        Assert.True(synAck.DontFragment);
        Assert.Equal(0, listener.PendingConnections);

        h.Send(TcpHarness.Seg(59092, 80, new TcpSeq(0x0308e9ff + 1), synAck.Seq + 1, TcpFlags.Ack, 502) with
        {
            Timestamp = new TcpTimestamp(0x4498a522, synAck.Repr.Timestamp.Value.TsVal),
        });
        h.ExpectNothing();
        Assert.True(h.Stack.TryDequeueTcpAcceptReady(out var ready));
        Assert.Same(listener, ready);
        Assert.True(listener.TryAccept(out var socket));
        Assert.Equal(TcpState.Established, socket.State);
        var stats = socket.Stats;
        Assert.Equal(502L << 7, stats.SendWindow);                       // the kernel's window, scaled by its 7
        Assert.Equal(1460, stats.SendMss);
        Assert.True(stats.SackEnabled && stats.TimestampsEnabled);
        Assert.Contains(StackHarness.DrainEvents(h.Stack), e => e is TcpConnectionEstablished est && est.SocketId == socket.Id);
        Assert.Equal(1, h.Stack.Counters.TcpPassiveOpens);
    }

    [Fact]
    public void Active_open_sends_options_and_adopts_the_peers()
    {
        var h = new TcpHarness();
        var socket = h.Stack.ConnectTcp(new Ipv4Endpoint(h.PeerIp, 8080), h.Now);
        var syn = h.ExpectOne();
        Assert.Equal(TcpFlags.Syn, syn.Flags);
        Assert.Equal((ushort)1460, syn.Repr.MaxSegmentSize);
        Assert.Equal((byte)8, syn.Repr.WindowScale);
        Assert.True(syn.Repr.SackPermitted);
        Assert.Equal(0u, syn.Repr.Timestamp!.Value.TsEcr);
        Assert.InRange(syn.Repr.SourcePort, NetStack.EphemeralPortMin, NetStack.EphemeralPortMax);
        Assert.Equal(TcpState.SynSent, socket.State);

        var peerIss = new TcpSeq(0xFFFF_FF00); // wraps soon: sequence arithmetic must be modular
        h.Send(TcpHarness.Seg(8080, syn.Repr.SourcePort, peerIss, syn.Seq + 1, TcpFlags.Syn | TcpFlags.Ack, 1000) with
        {
            MaxSegmentSize = 1200,
            WindowScale = 2,
            SackPermitted = true,
            Timestamp = new TcpTimestamp(777, syn.Repr.Timestamp.Value.TsVal),
        });
        var ack = h.ExpectOne();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(peerIss + 1, ack.Ack);
        Assert.Equal(syn.Seq + 1, ack.Seq);
        Assert.Equal(777u, ack.Repr.Timestamp!.Value.TsEcr);
        Assert.Equal(TcpState.Established, socket.State);
        Assert.Equal(1000, socket.Stats.SendWindow);            // the SYN-ACK's window is not scaled
        Assert.Equal(1200, socket.Stats.SendMss);
        Assert.Equal((byte)2, socket.Stats.SendWindowScale);

        // From now on the peer's window field is scaled by 2 (RFC 7323 §2.3).
        h.Send(TcpHarness.Seg(8080, syn.Repr.SourcePort, peerIss + 1, syn.Seq + 1, TcpFlags.Ack, 1000) with
        {
            Timestamp = new TcpTimestamp(778, 0),
        });
        Assert.Equal(4000, socket.Stats.SendWindow);
    }

    [Fact]
    public void No_window_scaling_when_the_peer_does_not_offer_it()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, window: 20000);
        Assert.Null(c.Handshake.Repr.WindowScale); // RFC 7323 §1.3: only answer an offer
        Assert.Equal((byte)0, c.Socket.Stats.ReceiveWindowScale);
        Assert.Equal((byte)0, c.Socket.Stats.SendWindowScale);
        Assert.Equal(20000, c.Socket.Stats.SendWindow);
        c.PeerSends(new byte[100], TcpFlags.Psh);
        h.Advance(TimeSpan.FromMilliseconds(40));
        var ack = h.ExpectOne();
        Assert.Equal(c.PeerNext, ack.Ack);
        Assert.Equal((ushort)65535, ack.Repr.Window); // a 1 MiB buffer, unscaled, clamps at 65535
    }

    [Fact]
    public void Data_and_a_shutdown_queued_while_connecting_go_out_once_established()
    {
        var h = new TcpHarness();
        var socket = h.Stack.ConnectTcp(new Ipv4Endpoint(h.PeerIp, 6000), h.Now, localPort: 6001);
        var syn = h.ExpectOne();
        // RFC 9293 §3.10.2: SEND in SYN-SENT queues the data; the half-close queues the FIN behind it instead of
        // deleting the connection (that is CLOSE's rule, §3.10.4).
        Assert.Equal(5, socket.Send("hello"u8));
        socket.Shutdown();
        Assert.Equal(TcpState.SynSent, socket.State);
        Assert.False(socket.CanSend);
        h.Advance(TimeSpan.Zero);
        h.ExpectNothing();
        var peerIss = new TcpSeq(700);
        h.Send(TcpHarness.Seg(6000, 6001, peerIss, syn.Seq + 1, TcpFlags.Syn | TcpFlags.Ack) with { MaxSegmentSize = 1460 });
        Assert.Equal(TcpState.FinWait1, socket.State);
        var data = h.ExpectOne();
        Assert.Equal(syn.Seq + 1, data.Seq);
        Assert.Equal(peerIss + 1, data.Ack);
        Assert.Equal("hello"u8.ToArray(), data.Payload);
        Assert.True(data.Flags.HasFlag(TcpFlags.Fin));
        Assert.Contains(StackHarness.DrainEvents(h.Stack), e => e is TcpConnectionEstablished);
    }

    [Fact]
    public void Close_while_connecting_deletes_the_connection()
    {
        var h = new TcpHarness();
        var socket = h.Stack.ConnectTcp(new Ipv4Endpoint(h.PeerIp, 6000), h.Now, localPort: 6001);
        h.ExpectOne();
        socket.Close();
        Assert.Equal(TcpState.Closed, socket.State);
        Assert.Equal(TcpError.None, socket.Error);
        Assert.Empty(h.Stack.TcpSockets);
    }

    [Fact]
    public void Simultaneous_open_reaches_established_on_both_sides()
    {
        var h = new TcpHarness();
        var socket = h.Stack.ConnectTcp(new Ipv4Endpoint(h.PeerIp, 6000), h.Now, localPort: 6001);
        var syn = h.ExpectOne();
        var peerIss = new TcpSeq(300);
        // RFC 9293 §3.5 figure 7: the peer's SYN crosses ours.
        h.Send(TcpHarness.Seg(6000, 6001, peerIss, default, TcpFlags.Syn) with { MaxSegmentSize = 1460 });
        var synAck = h.ExpectOne();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(syn.Seq, synAck.Seq);             // the same ISN again
        Assert.Equal(peerIss + 1, synAck.Ack);
        Assert.Equal(TcpState.SynReceived, socket.State);
        // The peer's SYN-ACK: its SYN is old news, its ACK completes our side.
        h.Send(TcpHarness.Seg(6000, 6001, peerIss, syn.Seq + 1, TcpFlags.Syn | TcpFlags.Ack));
        Assert.Equal(TcpState.Established, socket.State);
        Assert.Contains(StackHarness.DrainEvents(h.Stack), e => e is TcpConnectionEstablished);
    }

    [Fact]
    public void Segments_to_a_closed_port_are_answered_with_RST()
    {
        var h = new TcpHarness();
        // RFC 9293 §3.10.7.1: no ACK bit -> <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
        h.Send(TcpHarness.Seg(40000, 81, new TcpSeq(5000), default, TcpFlags.Syn));
        var rst = h.ExpectOne();
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(new TcpSeq(0), rst.Seq);
        Assert.Equal(new TcpSeq(5001), rst.Ack);
        // ACK bit -> <SEQ=SEG.ACK><CTL=RST>.
        h.Send(TcpHarness.Seg(40000, 81, new TcpSeq(5001), new TcpSeq(777), TcpFlags.Ack), new byte[10]);
        rst = h.ExpectOne();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(new TcpSeq(777), rst.Seq);
        // A RST is never answered.
        h.Send(TcpHarness.Seg(40000, 81, new TcpSeq(5001), default, TcpFlags.Rst));
        h.ExpectNothing();
        Assert.Equal(2, h.Stack.Counters.TcpResetsSent);
        Assert.Equal(3, h.Stack.Counters.Drops(DropReason.TcpNoSocket));
    }

    [Fact]
    public void Refused_connect_reports_connection_refused()
    {
        var h = new TcpHarness();
        var socket = h.Stack.ConnectTcp(new Ipv4Endpoint(h.PeerIp, 9), h.Now);
        var syn = h.ExpectOne();
        h.Send(TcpHarness.Seg(9, syn.Repr.SourcePort, default, syn.Seq + 1, TcpFlags.Rst | TcpFlags.Ack));
        Assert.Equal(TcpState.Closed, socket.State);
        Assert.Equal(TcpError.ConnectionRefused, socket.Error);
        Assert.Empty(h.Stack.TcpSockets);
        Assert.True(h.Stack.TryDequeueTcpActivity(out var active));
        Assert.Same(socket, active);
        Assert.Contains(StackHarness.DrainEvents(h.Stack), e => e is TcpConnectionClosed { Error: TcpError.ConnectionRefused });
    }

    [Fact]
    public void Connect_times_out_after_SYN_retransmissions_with_backoff()
    {
        var h = new TcpHarness();
        var socket = h.Stack.ConnectTcp(new Ipv4Endpoint(h.PeerIp, 9), h.Now, new TcpSocketOptions { ConnectTimeout = TimeSpan.FromSeconds(10) });
        var start = h.Now;
        h.ExpectOne();
        var times = new List<double>();
        while (socket.State == TcpState.SynSent)
        {
            h.RunUntil(h.Stack.NextPollAt(h.Now));
            foreach (var s in h.Drain())
            {
                Assert.Equal(TcpFlags.Syn, s.Flags);
                times.Add((h.Now - start).TotalSeconds);
            }
        }
        // RFC 6298 §5.5: 1 s initial RTO, doubled each time: 1, 3, 7 s; the 10 s connect timeout ends it.
        Assert.Equal([1.0, 3.0, 7.0], times);
        Assert.Equal(TcpError.TimedOut, socket.Error);
        Assert.Equal(10.0, (h.Now - start).TotalSeconds);
    }

    [Fact]
    public void Connect_needs_an_address_and_a_unicast_destination()
    {
        var link = new Mip.Stack.Phy.InMemoryLink();
        var unconfigured = StackHarness.Stack(link.A, Fixtures.MacB, null, Instant.Zero, customize: o => new StackOptions { Mac = o.Mac, DhcpEnabled = false });
        Assert.Equal(StackError.NotConfigured,
            Assert.Throws<StackException>(() => unconfigured.ConnectTcp(new Ipv4Endpoint(Fixtures.IpA, 80), Instant.Zero)).Error);
        var h = new TcpHarness();
        Assert.Equal(StackError.InvalidArgument,
            Assert.Throws<StackException>(() => h.Stack.ConnectTcp(new Ipv4Endpoint(Ipv4Address.Broadcast, 80), h.Now)).Error);
        h.Stack.ListenTcp(80);
        Assert.Equal(StackError.AddressInUse, Assert.Throws<StackException>(() => h.Stack.ListenTcp(80)).Error);
    }

    [Fact]
    public void Ephemeral_ports_follow_RFC_6056_algorithm_3()
    {
        var h = new TcpHarness();
        var a = h.Stack.ConnectTcp(new Ipv4Endpoint(h.PeerIp, 80), h.Now).LocalEndpoint.Port;
        var b = h.Stack.ConnectTcp(new Ipv4Endpoint(h.PeerIp, 80), h.Now).LocalEndpoint.Port;
        var c = h.Stack.ConnectTcp(new Ipv4Endpoint(h.PeerIp, 80), h.Now).LocalEndpoint.Port;
        // Same destination: consecutive probes of one hashed offset, so the ports step by one (mod the range).
        Assert.Equal(1, (b - a + 16384) % 16384);
        Assert.Equal(1, (c - b + 16384) % 16384);
        Assert.Equal(3, h.Stack.TcpSockets.Count);
    }

    [Fact]
    public void Data_written_while_connecting_leaves_once_established()
    {
        var h = new TcpHarness();
        var socket = h.Stack.ConnectTcp(new Ipv4Endpoint(h.PeerIp, 80), h.Now, new TcpSocketOptions { Sack = false, Timestamps = false });
        var syn = h.ExpectOne();
        Assert.True(socket.CanSend);
        Assert.Equal(5, socket.Send("early"u8));
        h.Advance(TimeSpan.Zero);
        h.ExpectNothing(); // no data on a SYN
        h.Send(TcpHarness.Seg(80, syn.Repr.SourcePort, new TcpSeq(1), syn.Seq + 1, TcpFlags.Syn | TcpFlags.Ack) with { MaxSegmentSize = 1460 });
        var data = h.ExpectOne(); // the ACK of the SYN carries the data
        Assert.Equal("early"u8.ToArray(), data.Payload);
        Assert.Equal(syn.Seq + 1, data.Seq);
        Assert.Equal(new TcpSeq(2), data.Ack);
    }
}
