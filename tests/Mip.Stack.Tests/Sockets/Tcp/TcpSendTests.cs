using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Tcp;

/// <summary>Sender behaviour: Nagle, retransmission timer, fast retransmit, SACK recovery, persist, keepalive, user timeout.</summary>
public sealed class TcpSendTests
{
    private static readonly TcpSocketOptions NewRenoNoDelay = new() { NoDelay = true, CongestionControl = CongestionAlgorithm.NewReno };

    [Fact]
    public void Nagle_holds_a_small_segment_while_data_is_unacknowledged()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h);
        c.Socket.Send("a"u8);
        h.Advance(TimeSpan.Zero);
        Assert.Equal("a"u8.ToArray(), h.ExpectOne().Payload);
        c.Socket.Send("b"u8);
        c.Socket.Send("c"u8);
        h.Advance(TimeSpan.Zero);
        h.ExpectNothing(); // RFC 9293 §3.7.4: wait for the ACK
        h.Send(c.Peer(ack: c.LocalNext + 1));
        var next = h.ExpectOne();
        Assert.Equal("bc"u8.ToArray(), next.Payload); // coalesced
        Assert.Equal(c.LocalNext + 1, next.Seq);
    }

    [Fact]
    public void NoDelay_sends_small_segments_at_once()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: new TcpSocketOptions { NoDelay = true });
        c.Socket.Send("a"u8);
        h.Advance(TimeSpan.Zero);
        c.Socket.Send("b"u8);
        h.Advance(TimeSpan.Zero);
        var sent = h.Drain();
        Assert.Equal(2, sent.Count);
        Assert.Equal("b"u8.ToArray(), sent[1].Payload);
        Assert.True(sent[1].Flags.HasFlag(TcpFlags.Psh));
    }

    [Fact]
    public void Retransmission_timer_backs_off_exponentially()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: NewRenoNoDelay);
        c.Socket.Send(new byte[100]);
        var start = h.Now;
        h.Advance(TimeSpan.Zero);
        h.ExpectOne();
        var times = new List<double>();
        h.RunUntil(start + TimeSpan.FromSeconds(3.5));
        // RFC 6298: the handshake measured ~0 RTT, so RTO = the 200 ms floor, doubled per expiry (§5.5).
        foreach (var s in h.Drain())
        {
            Assert.Equal(c.LocalNext, s.Seq);
            Assert.Equal(100, s.Payload.Length);
        }
        Assert.Equal(4, h.Stack.Counters.TcpRetransmitsRto); // at 0.2, 0.6, 1.4 and 3.0 s
        Assert.Equal(TimeSpan.FromMilliseconds(3200), c.Socket.Stats.Rto);
        h.Send(c.Peer(ack: c.LocalNext + 100));
        h.RunUntil(h.Now + TimeSpan.FromSeconds(10));
        h.ExpectNothing(); // everything acknowledged: the timer is off (§5.2)
    }

    [Fact]
    public void Three_duplicate_ACKs_trigger_fast_retransmit_and_NewReno_recovery()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: NewRenoNoDelay, mss: 1000);
        var start = c.LocalNext;
        c.Socket.Send(new byte[5000]);
        h.Advance(TimeSpan.Zero);
        Assert.Equal(5, h.Drain().Count);
        h.Send(c.Peer(ack: start + 1000));
        h.Send(c.Peer(ack: start + 1000));
        h.Send(c.Peer(ack: start + 1000));
        h.ExpectNothing();
        h.Send(c.Peer(ack: start + 1000)); // third duplicate (RFC 5681 §3.2)
        var retransmit = h.ExpectOne();
        Assert.Equal(start + 1000, retransmit.Seq);
        Assert.Equal(1000, retransmit.Payload.Length);
        Assert.Equal(1, h.Stack.Counters.TcpRetransmitsFast);
        Assert.Equal(3, h.Stack.Counters.TcpDuplicateAcks);
        Assert.True(c.Socket.Stats.InRecovery);
        // Partial ACK (RFC 6582 §3.2 step 5): the next hole is resent at once.
        h.Send(c.Peer(ack: start + 3000));
        Assert.Equal(start + 3000, h.Drain()[0].Seq);
        Assert.Equal(2, h.Stack.Counters.TcpRetransmitsFast);
        // Full ACK ends recovery.
        h.Send(c.Peer(ack: start + 5000));
        Assert.False(c.Socket.Stats.InRecovery);
    }

    [Fact]
    public void SACK_recovery_retransmits_only_the_holes()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: NewRenoNoDelay, sack: true, mss: 1000);
        var s = c.LocalNext;
        c.Socket.Send(new byte[6000]);
        h.Advance(TimeSpan.Zero);
        Assert.Equal(6, h.Drain().Count);
        // Segments 1 and 3 are lost; the peer reports the rest with SACK blocks.
        TcpRepr Dup(params (int L, int R)[] blocks) => c.Peer(ack: s) with
        {
            SackBlocks = TcpSackBlocks.From(blocks.Select(b => new TcpSackBlock(s + b.L, s + b.R)).ToArray()),
        };
        h.Send(Dup((1000, 2000)));
        h.Send(Dup((3000, 4000), (1000, 2000)));
        h.ExpectNothing();
        h.Send(Dup((3000, 5000), (1000, 2000)));
        // RFC 6675 §5: three SACKed segments above SND.UNA: SND.UNA is lost, retransmit it.
        var first = h.ExpectOne();
        Assert.Equal(s, first.Seq);
        Assert.Equal(1000, first.Payload.Length);
        h.Send(Dup((3000, 6000), (1000, 2000)));
        // Now the second hole is lost too (more than 2·SMSS SACKed above it): NextSeg sends it, and nothing else.
        var second = h.ExpectOne();
        Assert.Equal(s + 2000, second.Seq);
        Assert.Equal(1000, second.Payload.Length);
        Assert.Equal(2, h.Stack.Counters.TcpRetransmitsFast);
        h.Send(c.Peer(ack: s + 6000));
        Assert.False(c.Socket.Stats.InRecovery);
        h.RunUntil(h.Now + TimeSpan.FromSeconds(5));
        h.ExpectNothing();
        Assert.Equal(0, h.Stack.Counters.TcpRetransmitsRto);
    }

    [Fact]
    public void Zero_window_is_probed_with_exponential_backoff_until_it_opens()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: NewRenoNoDelay);
        c.Socket.Send(new byte[100]);
        h.Advance(TimeSpan.Zero);
        h.ExpectOne();
        c.LocalNext += 100;
        h.Send(c.Peer(window: 0));
        c.Socket.Send(new byte[50]);
        var start = h.Now;
        h.Advance(TimeSpan.Zero);
        h.ExpectNothing();
        var times = new List<double>();
        while (h.Now < start + TimeSpan.FromSeconds(3))
        {
            h.RunUntil(h.Stack.NextPollAt(h.Now));
            foreach (var probe in h.Drain())
            {
                // RFC 9293 §3.8.6.1: one byte beyond the closed window.
                Assert.Equal(c.LocalNext, probe.Seq);
                Assert.Single(probe.Payload);
                times.Add(Math.Round((h.Now - start).TotalSeconds, 3));
                h.Send(c.Peer(window: 0)); // still closed: the probe byte is not taken
            }
        }
        Assert.Equal([0.2, 0.6, 1.4], times.Take(3));
        h.Send(c.Peer(window: 65535));
        var data = h.ExpectOne();
        Assert.Equal(c.LocalNext, data.Seq);
        Assert.Equal(50, data.Payload.Length);
    }

    [Fact]
    public void Keepalive_probes_an_idle_connection_and_gives_up_after_the_count()
    {
        var h = new TcpHarness();
        var options = new TcpSocketOptions
        {
            KeepAlive = true,
            KeepAliveIdle = TimeSpan.FromSeconds(10),
            KeepAliveInterval = TimeSpan.FromSeconds(1),
            KeepAliveCount = 3,
        };
        var c = TcpConnection.Accept(h, options: options);
        var start = h.Now;
        h.RunUntil(start + TimeSpan.FromSeconds(10));
        var probe = h.ExpectOne();
        // RFC 1122 §4.2.3.6: SEG.SEQ = SND.NXT - 1, no data, so the peer must answer.
        Assert.Equal(c.LocalNext - 1, probe.Seq);
        Assert.Empty(probe.Payload);
        h.Send(c.Peer()); // the answer restarts the idle timer
        h.RunUntil(h.Now + TimeSpan.FromSeconds(9.9));
        h.ExpectNothing();
        var quiet = h.Now;
        h.RunUntil(quiet + TimeSpan.FromSeconds(20));
        var sent = h.Drain();
        Assert.Equal(4, sent.Count);                 // three probes, then a RST
        Assert.Equal(TcpFlags.Rst, sent[3].Flags);
        Assert.Equal(TcpState.Closed, c.Socket.State);
        Assert.Equal(TcpError.TimedOut, c.Socket.Error);
    }

    [Fact]
    public void User_timeout_aborts_when_data_stays_unacknowledged()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: new TcpSocketOptions { NoDelay = true, UserTimeout = TimeSpan.FromSeconds(2) });
        c.Socket.Send(new byte[10]);
        var start = h.Now;
        h.Advance(TimeSpan.Zero);
        h.RunUntil(start + TimeSpan.FromSeconds(1.999));
        Assert.Equal(TcpState.Established, c.Socket.State);
        h.RunUntil(start + TimeSpan.FromSeconds(2));
        Assert.Equal(TcpState.Closed, c.Socket.State);
        Assert.Equal(TcpError.TimedOut, c.Socket.Error);
        Assert.Equal(TcpFlags.Rst, h.Drain()[^1].Flags);
    }

    [Fact]
    public void Send_buffer_is_bounded_and_ACKs_make_the_socket_writable()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: new TcpSocketOptions { SendBufferBytes = 3000, MaxSendBufferBytes = 3000, NoDelay = true });
        Assert.Equal(3000, c.Socket.Send(new byte[5000]));
        Assert.Equal(0, c.Socket.SendBufferFree);
        h.Advance(TimeSpan.Zero);
        Assert.Equal(3, h.Drain().Count); // 1460 + 1460 + 80
        while (h.Stack.TryDequeueTcpActivity(out _))
        {
        }
        h.Send(c.Peer(ack: c.LocalNext + 1460));
        Assert.Equal(1460, c.Socket.SendBufferFree);
        Assert.True(h.Stack.TryDequeueTcpActivity(out var writable));
        Assert.Same(c.Socket, writable);
        Assert.False(h.Stack.TryDequeueTcpActivity(out _)); // once until taken
    }

    [Fact]
    public void A_lost_tail_is_probed_before_the_RTO()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: NewRenoNoDelay, sack: true, mss: 1000);
        var s = c.LocalNext;
        c.Socket.Send(new byte[3000]);
        var start = h.Now;
        h.Advance(TimeSpan.Zero);
        Assert.Equal(3, h.Drain().Count);
        // RFC 8985 §7.2: PTO = 2·SRTT (SRTT ~0 here, so the 10 ms floor), well before the 200 ms RTO.
        h.RunUntil(start + TimeSpan.FromMilliseconds(150));
        var probe = h.ExpectOne();
        Assert.Equal(s + 2000, probe.Seq);            // the last segment again: there is no new data
        Assert.Equal(1000, probe.Payload.Length);
        Assert.Equal(1, h.Stack.Counters.TcpRetransmitsTlp);
        Assert.Equal(1, c.Socket.Stats.RetransmitsTlp);
        h.Send(c.Peer(ack: s + 3000));
        h.RunUntil(h.Now + TimeSpan.FromSeconds(2));
        h.ExpectNothing();
        Assert.Equal(0, h.Stack.Counters.TcpRetransmitsRto);
    }

    [Fact]
    public void RTT_is_measured_from_the_timestamp_echo()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: NewRenoNoDelay, timestamps: true);
        Assert.Equal(TimeSpan.Zero, c.Socket.Stats.SmoothedRtt); // the handshake's echo came back at once
        c.Socket.Send(new byte[100]);
        h.Advance(TimeSpan.Zero);
        var data = h.ExpectOne();
        h.Advance(TimeSpan.FromMilliseconds(100));
        h.Send(c.Peer(ack: c.LocalNext + 100) with { Timestamp = new TcpTimestamp(++h.PeerTsVal, data.Repr.Timestamp!.Value.TsVal) });
        // RFC 7323 §4 sample of 100 ms; RFC 6298 §2.3: SRTT = 7/8·0 + 1/8·100 ms.
        Assert.Equal(TimeSpan.FromMilliseconds(12.5), c.Socket.Stats.SmoothedRtt);
    }

    [Fact]
    public void Karn_takes_no_sample_from_a_retransmitted_segment()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: NewRenoNoDelay);
        c.Socket.Send(new byte[100]);
        var start = h.Now;
        h.Advance(TimeSpan.Zero);
        h.RunUntil(start + TimeSpan.FromMilliseconds(300)); // one RTO retransmission at 200 ms
        Assert.Equal(2, h.Drain().Count);
        h.Send(c.Peer(ack: c.LocalNext + 100));
        // RFC 6298 §3: the ACK could be for either copy: SRTT keeps the handshake's value.
        Assert.Equal(TimeSpan.Zero, c.Socket.Stats.SmoothedRtt);
    }

    [Fact]
    public void Early_retransmit_needs_fewer_duplicates_when_few_segments_are_outstanding()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: NewRenoNoDelay, mss: 1000);
        var s = c.LocalNext;
        c.Socket.Send(new byte[2000]);
        h.Advance(TimeSpan.Zero);
        Assert.Equal(2, h.Drain().Count);
        // Two segments out, the first lost: only one duplicate ACK can come (RFC 5827: threshold oseg − 1 = 1).
        h.Send(c.Peer(ack: s));
        var retransmit = h.ExpectOne();
        Assert.Equal(s, retransmit.Seq);
        Assert.Equal(1, h.Stack.Counters.TcpRetransmitsFast);
    }

    [Fact]
    public void RACK_marks_segments_lost_by_time_when_too_few_duplicates_arrive()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: NewRenoNoDelay, sack: true, mss: 1000);
        var s = c.LocalNext;
        c.Socket.Send(new byte[4000]);
        var t0 = h.Now;
        h.Advance(TimeSpan.Zero);
        Assert.Equal(4, h.Drain().Count);
        // 5 ms later: segment 1 acknowledged, segment 4 SACKed, 2 and 3 missing. One SACKed segment is not enough for
        // RFC 6675 (DupThresh), and early retransmit needs two duplicates here.
        h.Advance(TimeSpan.FromMilliseconds(5));
        h.Send(c.Peer(ack: s + 1000) with { SackBlocks = TcpSackBlocks.From([new TcpSackBlock(s + 3000, s + 4000)]) });
        h.ExpectNothing();
        // RFC 8985 §6.2: segment 2 was sent before the delivered segment 4; after RACK.rtt (5 ms) plus the reordering
        // window (1 ms floor here) it is lost, and the whole hole with it.
        h.RunUntil(t0 + TimeSpan.FromMilliseconds(7));
        var resent = h.Drain();
        Assert.Equal([s + 1000, s + 2000], resent.Select(r => r.Seq));
        Assert.Equal(t0 + TimeSpan.FromMilliseconds(6), t0 + TimeSpan.FromMilliseconds(6)); // fired at 6 ms, before any RTO
        Assert.Equal(0, h.Stack.Counters.TcpRetransmitsRto);
        Assert.Equal(2, h.Stack.Counters.TcpRetransmitsFast);
        h.Send(c.Peer(ack: s + 4000));
        Assert.False(c.Socket.Stats.InRecovery);
    }
}
