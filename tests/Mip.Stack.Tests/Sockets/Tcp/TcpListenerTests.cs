using Mip.Stack.Iface;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Tcp;

public sealed class TcpListenerTests
{
    private static void Handshake(TcpHarness h, ushort peerPort, ushort port = 80)
    {
        h.Send(TcpHarness.Seg(peerPort, port, new TcpSeq(100), default, TcpFlags.Syn));
        var synAck = h.ExpectOne();
        h.Send(TcpHarness.Seg(peerPort, port, new TcpSeq(101), synAck.Seq + 1, TcpFlags.Ack));
    }

    [Fact]
    public void Accept_queue_is_bounded_by_the_backlog()
    {
        var h = new TcpHarness();
        var listener = h.Stack.ListenTcp(80, backlog: 2);
        Handshake(h, 40000);
        Handshake(h, 40001);
        Assert.Equal(2, listener.PendingConnections);
        Assert.True(h.Stack.TryDequeueTcpAcceptReady(out _));
        Assert.False(h.Stack.TryDequeueTcpAcceptReady(out _)); // one report until taken
        // A third SYN finds the accept queue full and is dropped (the client will retry).
        h.Send(TcpHarness.Seg(40002, 80, new TcpSeq(100), default, TcpFlags.Syn));
        h.ExpectNothing();
        Assert.Equal(1, h.Stack.Counters.Drops(DropReason.TcpListenOverflow));
        Assert.True(listener.TryAccept(out var first));
        Assert.Equal(40000, first.RemoteEndpoint.Port);
        Assert.True(listener.TryAccept(out var second));
        Assert.Equal(40001, second.RemoteEndpoint.Port);
        Assert.False(listener.TryAccept(out _));
    }

    [Fact]
    public void Closing_a_listener_resets_what_was_not_accepted_and_frees_the_port()
    {
        var h = new TcpHarness();
        var listener = h.Stack.ListenTcp(80);
        Handshake(h, 40000);
        listener.Close();
        var rst = h.ExpectOne();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Empty(h.Stack.TcpSockets);
        Assert.Empty(h.Stack.TcpListeners);
        // Now the port is closed: a SYN gets RST.
        h.Send(TcpHarness.Seg(40001, 80, new TcpSeq(100), default, TcpFlags.Syn));
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, h.ExpectOne().Flags);
        Assert.NotNull(h.Stack.ListenTcp(80));
    }

    [Fact]
    public void Accepted_sockets_keep_the_listeners_options()
    {
        var h = new TcpHarness();
        var listener = h.Stack.ListenTcp(80, options: new TcpSocketOptions { WindowScaling = false, Sack = false, Timestamps = false });
        h.Send(TcpHarness.Seg(40000, 80, new TcpSeq(100), default, TcpFlags.Syn) with
        {
            WindowScale = 7,
            SackPermitted = true,
            Timestamp = new TcpTimestamp(1, 0),
        });
        var synAck = h.ExpectOne();
        Assert.Null(synAck.Repr.WindowScale);
        Assert.False(synAck.Repr.SackPermitted);
        Assert.Null(synAck.Repr.Timestamp);
        Assert.Equal(0, listener.PendingConnections);
    }

    [Fact]
    public void A_peer_reset_during_the_handshake_frees_the_SYN_queue_slot()
    {
        var h = new TcpHarness();
        var listener = h.Stack.ListenTcp(80, backlog: 1);
        h.Send(TcpHarness.Seg(40000, 80, new TcpSeq(100), default, TcpFlags.Syn));
        h.ExpectOne();
        h.Send(TcpHarness.Seg(40000, 80, new TcpSeq(101), default, TcpFlags.Rst));
        Assert.Empty(h.Stack.TcpSockets);
        // The slot is free: the next SYN gets a normal (stateful) SYN-ACK, not a cookie.
        h.Send(TcpHarness.Seg(40001, 80, new TcpSeq(100), default, TcpFlags.Syn));
        h.ExpectOne();
        Assert.Equal(0, h.Stack.Counters.TcpSynCookiesSent);
        Assert.Single(h.Stack.TcpSockets);
        Assert.Equal(0, listener.PendingConnections);
    }

    [Fact]
    public void Ephemeral_listen_port_and_endpoint()
    {
        var h = new TcpHarness();
        var listener = h.Stack.ListenTcp(0);
        Assert.InRange(listener.LocalEndpoint.Port, NetStack.EphemeralPortMin, NetStack.EphemeralPortMax);
        Assert.Equal(h.LocalIp, listener.LocalEndpoint.Address);
        Assert.Equal(128, listener.Backlog);
    }
}
