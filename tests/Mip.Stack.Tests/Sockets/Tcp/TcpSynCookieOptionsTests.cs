using Mip.Stack.Iface;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Tcp;

/// <summary>
/// SYN-cookie connections keep the peer's window scale and SACK-permitted when the SYN carried a timestamp: our
/// SYN-ACK's TSval carries them (RFC 4987 §3.6, the Linux encoding) and the ACK's TSecr brings them back.
/// </summary>
public sealed class TcpSynCookieOptionsTests
{
    private const uint PeerTsVal = 777_000;

    /// <summary>A listener with a one-slot SYN queue, filled by a first SYN, so the next SYN gets a cookie.</summary>
    private static (TcpHarness H, TcpListener Listener) Overflowing()
    {
        var h = new TcpHarness();
        var listener = h.Stack.ListenTcp(80, backlog: 1);
        h.Send(TcpHarness.Seg(40000, 80, new TcpSeq(100), default, TcpFlags.Syn) with { MaxSegmentSize = 1460 });
        h.ExpectOne();
        return (h, listener);
    }

    private static Segment CookieSynAck(TcpHarness h, byte? windowScale, bool sack, bool timestamps = true)
    {
        h.Send(TcpHarness.Seg(40001, 80, new TcpSeq(5000), default, TcpFlags.Syn, window: 64240) with
        {
            MaxSegmentSize = 1460,
            WindowScale = windowScale,
            SackPermitted = sack,
            Timestamp = timestamps ? new TcpTimestamp(PeerTsVal, 0) : null,
        });
        var synAck = h.ExpectOne();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(1, h.Stack.Counters.TcpSynCookiesSent);
        Assert.Single(h.Stack.TcpSockets); // stateless: only the first, half-open connection exists
        return synAck;
    }

    private static TcpRepr CookieAck(Segment synAck, ushort window = 1000, uint? tsEcr = null) =>
        TcpHarness.Seg(40001, 80, new TcpSeq(5001), synAck.Seq + 1, TcpFlags.Ack, window) with
        {
            Timestamp = new TcpTimestamp(PeerTsVal + 10, tsEcr ?? synAck.Repr.Timestamp!.Value.TsVal),
        };

    [Fact]
    public void A_cookie_connection_keeps_the_peers_window_scale_sack_and_timestamps()
    {
        var (h, listener) = Overflowing();
        var synAck = CookieSynAck(h, windowScale: 7, sack: true);
        // The SYN-ACK offers what the peer offered: our own shift, SACK-permitted, and a timestamp echoing the peer's
        // whose low 6 bits carry the peer's shift (7) and SACK-permitted (bit 4).
        var ourShift = TcpSocket.WindowScaleFor(TcpSocketOptions.Default.MaxReceiveBufferBytes);
        Assert.Equal(ourShift, synAck.Repr.WindowScale);
        Assert.True(synAck.Repr.SackPermitted);
        var ts = Assert.IsType<TcpTimestamp>(synAck.Repr.Timestamp);
        Assert.Equal(PeerTsVal, ts.TsEcr);
        Assert.Equal(7u | 0x10u, ts.TsVal & 0x3F);

        h.Send(CookieAck(synAck));
        Assert.Equal(1, h.Stack.Counters.TcpSynCookiesAccepted);
        Assert.True(listener.TryAccept(out var socket));
        Assert.Equal(TcpState.Established, socket.State);
        var stats = socket.Stats;
        Assert.Equal(7, stats.SendWindowScale);
        Assert.Equal(ourShift, stats.ReceiveWindowScale);
        Assert.True(stats.SackEnabled);
        Assert.True(stats.TimestampsEnabled);
        Assert.Equal(1000L << 7, stats.SendWindow); // the ACK's window is scaled by the peer's shift
        Assert.Equal(1460, stats.SendMss);

        // The connection's timestamps continue the SYN-ACK's clock (never older: the peer's PAWS would drop them),
        // echo the peer's latest, and its window is advertised scaled by our shift.
        h.Advance(TimeSpan.FromMilliseconds(5));
        socket.Send("hello"u8);
        h.Advance(TimeSpan.Zero);
        var data = h.ExpectOne();
        Assert.Equal(5, data.Payload.Length);
        var dataTs = Assert.IsType<TcpTimestamp>(data.Repr.Timestamp);
        Assert.True(unchecked((int)(dataTs.TsVal - ts.TsVal)) >= 0, $"TSval went back: {ts.TsVal} -> {dataTs.TsVal}");
        Assert.Equal(PeerTsVal + 10, dataTs.TsEcr);
        Assert.Equal(socket.Stats.ReceiveWindow >> ourShift, data.Repr.Window);
    }

    [Fact]
    public void A_cookie_connection_without_window_scale_or_sack_in_the_syn_gets_neither()
    {
        var (h, listener) = Overflowing();
        var synAck = CookieSynAck(h, windowScale: null, sack: false);
        Assert.Null(synAck.Repr.WindowScale); // RFC 7323 §2.2: only in answer to the peer's
        Assert.False(synAck.Repr.SackPermitted);
        Assert.Equal(0x0Fu, synAck.Repr.Timestamp!.Value.TsVal & 0x3F);

        h.Send(CookieAck(synAck, window: 5000));
        Assert.True(listener.TryAccept(out var socket));
        var stats = socket.Stats;
        Assert.Equal((0, 0), ((int)stats.SendWindowScale, (int)stats.ReceiveWindowScale));
        Assert.False(stats.SackEnabled);
        Assert.True(stats.TimestampsEnabled);
        Assert.Equal(5000, stats.SendWindow);
    }

    [Fact]
    public void A_forged_cookie_is_still_rejected_whatever_its_timestamp_says()
    {
        var (h, listener) = Overflowing();
        var synAck = CookieSynAck(h, windowScale: 7, sack: true);
        // Wrong cookie (SEG.ACK off by one), with a perfectly good echo of our TSval.
        h.Send(CookieAck(synAck) with { AcknowledgmentNumber = synAck.Seq + 2 });
        Assert.Equal(TcpFlags.Rst, h.ExpectOne().Flags);
        Assert.False(listener.TryAccept(out _));
        Assert.Equal(0, h.Stack.Counters.TcpSynCookiesAccepted);
        Assert.Single(h.Stack.TcpSockets);
    }

    [Fact]
    public void A_valid_cookie_whose_echo_is_not_our_timestamp_is_rejected()
    {
        var (h, listener) = Overflowing();
        var synAck = CookieSynAck(h, windowScale: 7, sack: true);
        uint tsVal = synAck.Repr.Timestamp!.Value.TsVal;
        // An echo from the future (beyond our clock) cannot be ours.
        h.Send(CookieAck(synAck, tsEcr: tsVal + 10_000));
        Assert.Equal(TcpFlags.Rst, h.ExpectOne().Flags);
        // Nor one with an invalid window scale (15 means none; the bits above SACK are always zero).
        h.Send(CookieAck(synAck, tsEcr: (tsVal & ~0x3Fu) - 64 + 0x20));
        Assert.Equal(TcpFlags.Rst, h.ExpectOne().Flags);
        Assert.False(listener.TryAccept(out _));
        Assert.Equal(0, h.Stack.Counters.TcpSynCookiesAccepted);
    }

    [Fact]
    public void An_old_cookie_is_rejected()
    {
        var (h, listener) = Overflowing();
        var synAck = CookieSynAck(h, windowScale: 7, sack: true);
        // Past the cookie's lifetime (its own 64 s slot and two more).
        h.Advance(SynCookies.SlotLength * (SynCookies.MaxAgeSlots + 1) + TimeSpan.FromSeconds(1));
        h.Drain();
        h.Send(CookieAck(synAck));
        Assert.Equal(TcpFlags.Rst, h.ExpectOne().Flags);
        Assert.False(listener.TryAccept(out _));
        Assert.Equal(0, h.Stack.Counters.TcpSynCookiesAccepted);
    }
}
