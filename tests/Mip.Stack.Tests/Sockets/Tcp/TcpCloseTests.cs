using Mip.Stack.Iface;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Tests.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Tcp;

public sealed class TcpCloseTests
{
    [Fact]
    public void Active_close_goes_through_FIN_WAIT_to_TIME_WAIT_and_expires_after_2MSL()
    {
        var h = new TcpHarness(customize: o => new StackOptions { Mac = o.Mac, StaticIpv4 = o.StaticIpv4, TcpTimeWait = TimeSpan.FromSeconds(10) });
        var c = TcpConnection.Accept(h);
        c.Socket.Close();
        Assert.Equal(TcpState.FinWait1, c.Socket.State);
        h.Advance(TimeSpan.Zero);
        var fin = h.ExpectOne();
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, fin.Flags);
        Assert.Equal(c.LocalNext, fin.Seq);
        c.LocalNext += 1;
        h.Send(c.Peer());
        Assert.Equal(TcpState.FinWait2, c.Socket.State);
        c.PeerSends([], TcpFlags.Fin);
        Assert.Equal(TcpState.TimeWait, c.Socket.State);
        Assert.Equal(c.PeerNext, h.ExpectOne().Ack);
        Assert.Contains(StackHarness.DrainEvents(h.Stack), e => e is TcpConnectionClosed { Error: TcpError.None });

        // RFC 9293 §3.10.7.4: a retransmitted FIN in TIME-WAIT is acknowledged and restarts the 2 MSL timer.
        h.Advance(TimeSpan.FromSeconds(6));
        h.Send(c.Peer(TcpFlags.Fin | TcpFlags.Ack, seq: c.PeerNext - 1));
        Assert.Equal(c.PeerNext, h.ExpectOne().Ack);
        h.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(TcpState.TimeWait, c.Socket.State);
        h.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TcpState.Closed, c.Socket.State);
        Assert.Empty(h.Stack.TcpSockets);
    }

    [Fact]
    public void Passive_close_goes_through_CLOSE_WAIT_and_LAST_ACK()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h);
        c.PeerSends("bye"u8.ToArray(), TcpFlags.Fin);
        Assert.Equal(TcpState.CloseWait, c.Socket.State);
        Assert.Equal(c.PeerNext, h.ExpectOne().Ack); // the FIN is acknowledged at once
        Assert.False(c.Socket.IsReceiveFinished);   // three bytes still to read
        var buffer = new byte[10];
        Assert.Equal(3, c.Socket.Receive(buffer));
        Assert.True(c.Socket.IsReceiveFinished);
        Assert.True(c.Socket.CanSend);
        Assert.Equal(2, c.Socket.Send("ok"u8));
        c.Socket.Close();
        Assert.Equal(TcpState.LastAck, c.Socket.State);
        h.Advance(TimeSpan.Zero);
        var sent = h.Drain();
        var last = sent[^1];
        Assert.True(last.Flags.HasFlag(TcpFlags.Fin));
        Assert.Equal(c.LocalNext + 2, last.Seq + last.Payload.Length);
        h.Send(c.Peer(ack: c.LocalNext + 3));
        Assert.Equal(TcpState.Closed, c.Socket.State);
        Assert.Equal(TcpError.None, c.Socket.Error);
        Assert.Empty(h.Stack.TcpSockets);
    }

    [Fact]
    public void Simultaneous_close_goes_through_CLOSING()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h);
        c.Socket.Shutdown();
        h.Advance(TimeSpan.Zero);
        var fin = h.ExpectOne();
        Assert.True(fin.Flags.HasFlag(TcpFlags.Fin));
        // The peer's FIN crosses ours: it does not acknowledge our FIN yet.
        c.PeerSends([], TcpFlags.Fin);
        Assert.Equal(TcpState.Closing, c.Socket.State);
        Assert.Equal(c.PeerNext, h.ExpectOne().Ack);
        h.Send(c.Peer(ack: c.LocalNext + 1));
        Assert.Equal(TcpState.TimeWait, c.Socket.State);
    }

    [Fact]
    public void Half_close_by_us_keeps_receiving()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h);
        c.Socket.Shutdown();
        Assert.False(c.Socket.CanSend);
        Assert.Equal(0, c.Socket.Send("x"u8));
        h.Advance(TimeSpan.Zero);
        h.ExpectOne();
        c.LocalNext += 1;
        h.Send(c.Peer());
        Assert.Equal(TcpState.FinWait2, c.Socket.State);
        c.PeerSends("still talking"u8.ToArray(), TcpFlags.Psh);
        var buffer = new byte[64];
        Assert.Equal(13, c.Socket.Receive(buffer));
        Assert.False(c.Socket.IsReceiveFinished);
    }

    [Fact]
    public void Half_close_by_the_peer_keeps_sending()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: new TcpSocketOptions { NoDelay = true });
        c.PeerSends([], TcpFlags.Fin);
        h.Drain();
        Assert.True(c.Socket.IsReceiveFinished);
        Assert.Equal(TcpState.CloseWait, c.Socket.State);
        Assert.Equal(4, c.Socket.Send("more"u8));
        h.Advance(TimeSpan.Zero);
        var data = h.ExpectOne();
        Assert.Equal("more"u8.ToArray(), data.Payload);
        Assert.Equal(c.PeerNext, data.Ack);
    }

    [Fact]
    public void Close_with_unread_data_resets_the_connection()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h);
        c.PeerSends("unread"u8.ToArray());
        h.Drain();
        c.Socket.Close();
        var rst = h.ExpectOne();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(c.LocalNext, rst.Seq);
        Assert.Equal(TcpState.Closed, c.Socket.State);
        Assert.Equal(TcpError.Aborted, c.Socket.Error);
    }

    [Fact]
    public void Zero_linger_close_and_abort_send_RST()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: new TcpSocketOptions { Linger = TimeSpan.Zero });
        c.Socket.Close();
        Assert.Equal(TcpFlags.Rst, h.ExpectOne().Flags);
        Assert.Equal(1, h.Stack.Counters.TcpResetsSent);
    }

    [Fact]
    public void Time_wait_table_is_bounded_and_the_oldest_goes_first()
    {
        var h = new TcpHarness(customize: o => new StackOptions { Mac = o.Mac, StaticIpv4 = o.StaticIpv4, TcpMaxTimeWait = 1 });
        var first = TcpConnection.Accept(h);
        ToTimeWait(h, first);
        Assert.Equal(TcpState.TimeWait, first.Socket.State);
        // A second connection from another peer port reaches TIME-WAIT: the first is reclaimed.
        h.Stack.TcpListeners.Single().Close();
        var listener = h.Stack.ListenTcp(81);
        h.Send(TcpHarness.Seg(40001, 81, new TcpSeq(9), default, TcpFlags.Syn));
        var synAck = h.ExpectOne();
        h.Send(TcpHarness.Seg(40001, 81, new TcpSeq(10), synAck.Seq + 1, TcpFlags.Ack));
        Assert.True(listener.TryAccept(out var second));
        second.Close();
        h.Advance(TimeSpan.Zero);
        h.Drain();
        h.Send(TcpHarness.Seg(40001, 81, new TcpSeq(10), synAck.Seq + 2, TcpFlags.Fin | TcpFlags.Ack));
        Assert.Equal(TcpState.TimeWait, second.State);
        Assert.Equal(TcpState.Closed, first.Socket.State);
        Assert.Equal(1, h.Stack.Counters.TcpTimeWaitReclaimed);
        Assert.Single(h.Stack.TcpSockets);
    }

    [Fact]
    public void A_new_SYN_with_a_higher_sequence_reuses_a_TIME_WAIT_tuple()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h);
        ToTimeWait(h, c);
        var oldIss = c.Handshake.Seq;
        // RFC 6191 / RFC 9293 §3.10.7.4: beyond RCV.NXT, no timestamps: the SYN may open a new incarnation.
        h.Send(TcpHarness.Seg(TcpConnection.PeerPort, TcpConnection.LocalPort, c.PeerNext + 100_000, default, TcpFlags.Syn));
        var synAck = h.ExpectOne();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.True(synAck.Seq > oldIss);
        Assert.Equal(TcpState.Closed, c.Socket.State);
        Assert.Equal(1, h.Stack.Counters.TcpTimeWaitReclaimed);
    }

    [Fact]
    public void RST_in_TIME_WAIT_is_ignored()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h);
        ToTimeWait(h, c);
        // RFC 1337: TIME-WAIT assassination must not happen.
        h.Send(c.Peer(TcpFlags.Rst));
        Assert.Equal(TcpState.TimeWait, c.Socket.State);
    }

    private static void ToTimeWait(TcpHarness h, TcpConnection c)
    {
        c.Socket.Close();
        h.Advance(TimeSpan.Zero);
        h.Drain();
        c.LocalNext += 1;
        c.PeerSends([], TcpFlags.Fin);
        h.Drain();
        Assert.Equal(TcpState.TimeWait, c.Socket.State);
    }

    [Fact]
    public void Linger_resets_a_close_that_does_not_finish_in_time()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: new TcpSocketOptions { Linger = TimeSpan.FromSeconds(1), NoDelay = true });
        c.Socket.Send(new byte[10]);
        c.Socket.Close();
        var start = h.Now;
        h.RunUntil(start + TimeSpan.FromSeconds(0.999));
        Assert.Equal(TcpState.FinWait1, c.Socket.State);
        h.RunUntil(start + TimeSpan.FromSeconds(1));
        Assert.Equal(TcpState.Closed, c.Socket.State);
        Assert.Equal(TcpError.Aborted, c.Socket.Error);
        Assert.Equal(TcpFlags.Rst, h.Drain()[^1].Flags);
    }

    [Fact]
    public void A_closed_socket_does_not_wait_in_FIN_WAIT_2_forever()
    {
        var h = new TcpHarness(customize: o => new StackOptions { Mac = o.Mac, StaticIpv4 = o.StaticIpv4, TcpTimeWait = TimeSpan.FromSeconds(30) });
        var c = TcpConnection.Accept(h);
        c.Socket.Close();
        h.Advance(TimeSpan.Zero);
        h.ExpectOne();
        h.Send(c.Peer(ack: c.LocalNext + 1));
        Assert.Equal(TcpState.FinWait2, c.Socket.State);
        h.RunUntil(h.Now + TimeSpan.FromSeconds(29));
        Assert.Equal(TcpState.FinWait2, c.Socket.State);
        h.RunUntil(h.Now + TimeSpan.FromSeconds(1));
        Assert.Equal(TcpState.Closed, c.Socket.State);
        Assert.Empty(h.Stack.TcpSockets);
    }

    [Fact]
    public void A_half_closed_socket_still_open_for_reading_waits_in_FIN_WAIT_2()
    {
        var h = new TcpHarness(customize: o => new StackOptions { Mac = o.Mac, StaticIpv4 = o.StaticIpv4, TcpTimeWait = TimeSpan.FromSeconds(30) });
        var c = TcpConnection.Accept(h);
        c.Socket.Shutdown();
        h.Advance(TimeSpan.Zero);
        h.ExpectOne();
        h.Send(c.Peer(ack: c.LocalNext + 1));
        h.RunUntil(h.Now + TimeSpan.FromSeconds(300));
        Assert.Equal(TcpState.FinWait2, c.Socket.State); // the application may still read: no timeout
    }

    [Fact]
    public void With_timestamps_only_a_newer_TSval_reuses_a_TIME_WAIT_tuple()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, timestamps: true);
        ToTimeWait(h, c);
        // RFC 6191 §2: a SYN whose timestamp is not newer than TS.Recent belongs to the old incarnation.
        h.Send(TcpHarness.Seg(TcpConnection.PeerPort, TcpConnection.LocalPort, c.PeerNext + 100_000, default, TcpFlags.Syn) with
        {
            Timestamp = new TcpTimestamp(h.PeerTsVal - 10, 0),
        });
        var answer = h.ExpectOne();
        Assert.Equal(TcpFlags.Ack, answer.Flags); // acknowledged as a stray segment, not a new connection
        Assert.Equal(TcpState.TimeWait, c.Socket.State);
        h.Send(TcpHarness.Seg(TcpConnection.PeerPort, TcpConnection.LocalPort, c.PeerNext - 5, default, TcpFlags.Syn) with
        {
            Timestamp = new TcpTimestamp(h.PeerTsVal + 10, 0),
        });
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, h.ExpectOne().Flags);
        Assert.Equal(TcpState.Closed, c.Socket.State);
    }
}
