using Mip.Stack.Iface;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Tcp;

/// <summary>RFC 5961 (blind in-window attacks), RFC 7323 PAWS, SYN cookies and the bounded SYN queue.</summary>
public sealed class TcpSecurityTests
{
    [Fact]
    public void RST_at_exactly_RCV_NXT_resets_the_connection()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h);
        h.Send(c.Peer(TcpFlags.Rst));
        Assert.Equal(TcpState.Closed, c.Socket.State);
        Assert.Equal(TcpError.ConnectionReset, c.Socket.Error);
        Assert.Equal(1, h.Stack.Counters.TcpResetsReceived);
        h.ExpectNothing();
    }

    [Fact]
    public void RST_in_window_but_not_exact_draws_a_challenge_ACK()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h);
        h.Send(c.Peer(TcpFlags.Rst, seq: c.PeerNext + 1000));
        Assert.Equal(TcpState.Established, c.Socket.State);
        var challenge = h.ExpectOne();
        Assert.Equal(TcpFlags.Ack, challenge.Flags);   // RFC 5961 §3.2: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
        Assert.Equal(c.LocalNext, challenge.Seq);
        Assert.Equal(c.PeerNext, challenge.Ack);
        Assert.Equal(1, h.Stack.Counters.TcpChallengeAcks);
    }

    [Fact]
    public void RST_outside_the_window_is_ignored()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h);
        h.Send(c.Peer(TcpFlags.Rst, seq: c.PeerNext + (4 << 20)));
        h.Send(c.Peer(TcpFlags.Rst, seq: c.PeerNext - 1));
        Assert.Equal(TcpState.Established, c.Socket.State);
        h.ExpectNothing();
    }

    [Fact]
    public void SYN_on_an_established_connection_draws_a_challenge_ACK()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h);
        h.Send(c.Peer(TcpFlags.Syn, seq: c.PeerNext + 5));
        var challenge = h.ExpectOne();
        Assert.Equal(TcpFlags.Ack, challenge.Flags);       // RFC 5961 §4.2
        Assert.Equal(c.PeerNext, challenge.Ack);
        Assert.Equal(TcpState.Established, c.Socket.State);
    }

    [Fact]
    public void ACK_for_data_never_sent_draws_a_challenge_ACK_and_is_dropped()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h);
        h.Send(c.Peer(ack: c.LocalNext + 5000), "ignored"u8);
        var challenge = h.ExpectOne();
        Assert.Equal(c.PeerNext, challenge.Ack);   // the data was not taken
        Assert.Equal(0, c.Socket.BytesAvailable);
    }

    [Fact]
    public void Challenge_ACKs_are_rate_limited_stack_wide()
    {
        var h = new TcpHarness(customize: o => new StackOptions { Mac = o.Mac, StaticIpv4 = o.StaticIpv4, TcpChallengeAckLimit = 2 });
        var c = TcpConnection.Accept(h);
        for (int i = 1; i <= 5; i++)
        {
            h.Send(c.Peer(TcpFlags.Rst, seq: c.PeerNext + i));
        }
        Assert.Equal(2, h.Drain().Count);
        Assert.Equal(2, h.Stack.Counters.TcpChallengeAcks);
        h.Advance(TimeSpan.FromSeconds(1));
        h.Send(c.Peer(TcpFlags.Rst, seq: c.PeerNext + 9));
        Assert.Single(h.Drain()); // the bucket refilled
    }

    [Fact]
    public void PAWS_drops_a_segment_with_an_old_timestamp()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, timestamps: true);
        c.PeerSends("new"u8.ToArray());
        h.Advance(TimeSpan.FromMilliseconds(40));
        h.Drain();
        // RFC 7323 §5.3: same sequence space, but a TSval older than TS.Recent: an old duplicate.
        var old = c.Peer() with { Timestamp = new TcpTimestamp(h.PeerTsVal - 100, 0) };
        h.Send(old, "old"u8);
        var ack = h.ExpectOne();
        Assert.Equal(c.PeerNext, ack.Ack);
        Assert.Equal(3, c.Socket.BytesAvailable);
        Assert.Equal(1, h.Stack.Counters.Drops(DropReason.TcpPaws));
    }

    [Fact]
    public void Full_SYN_queue_switches_to_SYN_cookies_and_the_handshake_still_completes()
    {
        var h = new TcpHarness();
        var listener = h.Stack.ListenTcp(80, backlog: 1);
        // The first SYN takes the only SYN-queue slot and stays half-open.
        h.Send(TcpHarness.Seg(40000, 80, new TcpSeq(100), default, TcpFlags.Syn) with { MaxSegmentSize = 1460 });
        h.ExpectOne();
        // The second is answered statelessly with a cookie: no socket is created.
        h.Send(TcpHarness.Seg(40001, 80, new TcpSeq(5000), default, TcpFlags.Syn) with
        {
            MaxSegmentSize = 1460,
            WindowScale = 7,
            SackPermitted = true,
        });
        var cookie = h.ExpectOne();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, cookie.Flags);
        Assert.Equal((ushort)1460, cookie.Repr.MaxSegmentSize);
        // No timestamp in the SYN: nothing can carry its window scale and SACK through the cookie (RFC 4987 §3.6).
        Assert.Null(cookie.Repr.WindowScale);
        Assert.False(cookie.Repr.SackPermitted);
        Assert.Null(cookie.Repr.Timestamp);
        Assert.Single(h.Stack.TcpSockets);
        Assert.Equal(1, h.Stack.Counters.TcpSynCookiesSent);

        // The client's ACK carries the cookie back: the connection exists from here, with data.
        h.Send(TcpHarness.Seg(40001, 80, new TcpSeq(5001), cookie.Seq + 1, TcpFlags.Ack | TcpFlags.Psh), "GET /"u8);
        Assert.Equal(1, h.Stack.Counters.TcpSynCookiesAccepted);
        Assert.True(listener.TryAccept(out var socket));
        Assert.Equal(TcpState.Established, socket.State);
        Assert.Equal(40001, socket.RemoteEndpoint.Port);
        Assert.Equal(5, socket.BytesAvailable);
        Assert.Equal(1460, socket.Stats.SendMss);

        // A forged ACK (wrong cookie) gets a RST instead.
        h.Drain();
        h.Send(TcpHarness.Seg(40002, 80, new TcpSeq(7001), cookie.Seq + 1, TcpFlags.Ack));
        Assert.Equal(TcpFlags.Rst, h.ExpectOne().Flags);
    }

    [Fact]
    public void Global_half_open_cap_drops_and_counts()
    {
        var h = new TcpHarness(customize: o => new StackOptions { Mac = o.Mac, StaticIpv4 = o.StaticIpv4, TcpMaxHalfOpen = 1 });
        h.Stack.ListenTcp(80);
        h.Send(TcpHarness.Seg(40000, 80, new TcpSeq(100), default, TcpFlags.Syn));
        h.ExpectOne();
        h.Send(TcpHarness.Seg(40001, 80, new TcpSeq(100), default, TcpFlags.Syn));
        h.ExpectNothing();
        Assert.Equal(1, h.Stack.Counters.TcpHalfOpenDropped);
    }

    [Fact]
    public void Half_open_connections_are_reaped_after_SYN_ACK_retries()
    {
        var h = new TcpHarness();
        var listener = h.Stack.ListenTcp(80);
        h.Send(TcpHarness.Seg(40000, 80, new TcpSeq(100), default, TcpFlags.Syn));
        h.ExpectOne();
        h.RunUntil(h.Now + TimeSpan.FromSeconds(120));
        // RFC 6298 §5.5 backoff: 1, 2, 4, 8, 16 s, then given up at 63 s.
        Assert.Equal(TcpSocket.MaxSynAckRetries, h.Drain().Count);
        Assert.Empty(h.Stack.TcpSockets);
        Assert.Equal(0, listener.PendingConnections);
        // The queue slot is free again.
        h.Send(TcpHarness.Seg(40001, 80, new TcpSeq(100), default, TcpFlags.Syn));
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, h.ExpectOne().Flags);
    }

    [Fact]
    public void ISNs_differ_per_connection()
    {
        var h = new TcpHarness();
        h.Stack.ListenTcp(80);
        h.Send(TcpHarness.Seg(40000, 80, new TcpSeq(1), default, TcpFlags.Syn));
        var a = h.ExpectOne().Seq;
        h.Send(TcpHarness.Seg(40001, 80, new TcpSeq(1), default, TcpFlags.Syn));
        var b = h.ExpectOne().Seq;
        Assert.NotEqual(a, b); // RFC 6528: a keyed hash of the 4-tuple
    }
}
