using Mip.Stack.Iface;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Tcp;

/// <summary>Receiver behaviour: delayed ACKs, out-of-order data and SACK blocks, window updates.</summary>
public sealed class TcpReceiveTests
{
    private static byte[] Bytes(int n, byte fill) => Enumerable.Repeat(fill, n).ToArray();

    [Fact]
    public void One_segment_is_acknowledged_after_the_delayed_ACK_timeout()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h);
        c.PeerSends(Bytes(100, 1));
        h.ExpectNothing();
        Assert.Equal(h.Now + TimeSpan.FromMilliseconds(40), h.Stack.NextPollAt(h.Now)); // the host wakes for it
        h.Advance(TimeSpan.FromMilliseconds(39));
        h.ExpectNothing();
        h.Advance(TimeSpan.FromMilliseconds(1));   // RFC 9293 §3.8.6.3: at most the delayed-ACK timeout (40 ms here)
        Assert.Equal(c.PeerNext, h.ExpectOne().Ack);
    }

    [Fact]
    public void The_second_full_sized_segment_is_acknowledged_at_once()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h);
        c.PeerSends(Bytes(1460, 1));
        h.ExpectNothing();
        c.PeerSends(Bytes(1460, 2));
        Assert.Equal(c.PeerNext, h.ExpectOne().Ack); // RFC 5681 §4.2: ACK at least every second full segment
    }

    [Fact]
    public void Out_of_order_data_is_acknowledged_at_once_with_SACK_blocks_and_the_fill_too()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, sack: true);
        var start = c.PeerNext;
        // Segment 2 and 4 arrive; 1 and 3 are missing.
        h.Send(c.Peer(seq: start + 1000), Bytes(1000, 2));
        var dup1 = h.ExpectOne();
        Assert.Equal(start, dup1.Ack);
        Assert.Equal(TcpSackBlocks.From([new TcpSackBlock(start + 1000, start + 2000)]), dup1.Repr.SackBlocks);
        h.Send(c.Peer(seq: start + 3000), Bytes(1000, 4));
        var dup2 = h.ExpectOne();
        // RFC 2018 §4: the block with the most recent segment first.
        Assert.Equal(TcpSackBlocks.From([new TcpSackBlock(start + 3000, start + 4000), new TcpSackBlock(start + 1000, start + 2000)]),
            dup2.Repr.SackBlocks);
        Assert.Equal(2, h.Stack.Counters.TcpOutOfOrderSegments);
        Assert.Equal(0, c.Socket.BytesAvailable);

        // Filling the first hole is acknowledged immediately (RFC 5681 §4.2), up to the next hole.
        h.Send(c.Peer(seq: start), Bytes(1000, 1));
        var ack = h.ExpectOne();
        Assert.Equal(start + 2000, ack.Ack);
        Assert.Equal(TcpSackBlocks.From([new TcpSackBlock(start + 3000, start + 4000)]), ack.Repr.SackBlocks);
        h.Send(c.Peer(seq: start + 2000), Bytes(1000, 3));
        ack = h.ExpectOne();
        Assert.Equal(start + 4000, ack.Ack);
        Assert.True(ack.Repr.SackBlocks.IsEmpty);

        var buffer = new byte[4000];
        Assert.Equal(4000, c.Socket.Receive(buffer));
        for (int i = 0; i < 4; i++)
        {
            Assert.All(buffer.AsSpan(i * 1000, 1000).ToArray(), b => Assert.Equal(i + 1, b));
        }
    }

    [Fact]
    public void A_duplicate_segment_is_acknowledged_at_once()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h);
        var seq = c.PeerNext;
        c.PeerSends(Bytes(100, 1));
        h.Advance(TimeSpan.FromMilliseconds(40));
        h.Drain();
        h.Send(c.Peer(seq: seq), Bytes(100, 1));
        Assert.Equal(c.PeerNext, h.ExpectOne().Ack);
        Assert.Equal(100, c.Socket.BytesAvailable);
    }

    [Fact]
    public void A_full_receive_buffer_advertises_zero_and_reading_sends_a_window_update()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: new TcpSocketOptions { ReceiveBufferBytes = 4096, MaxReceiveBufferBytes = 4096 });
        for (int i = 0; i < 4; i++)
        {
            c.PeerSends(Bytes(1024, 1));
        }
        var ack = h.Drain()[^1];
        Assert.Equal(c.PeerNext, ack.Ack);
        Assert.Equal(0, ack.Repr.Window);
        // A zero-window probe (one byte at RCV.NXT) is not accepted, but answered (RFC 9293 §3.8.6.1).
        h.Send(c.Peer(), Bytes(1, 3));
        ack = h.ExpectOne();
        Assert.Equal(c.PeerNext, ack.Ack);
        Assert.Equal(0, ack.Repr.Window);
        // The reader takes most of it: a window update goes out without waiting (never delayed).
        var buffer = new byte[3000];
        Assert.Equal(3000, c.Socket.Receive(buffer));
        h.Advance(TimeSpan.Zero);
        var update = h.ExpectOne();
        Assert.Equal(c.PeerNext, update.Ack);
        Assert.Equal(3000, update.Repr.Window);
    }

    [Fact]
    public void Small_reads_do_not_open_a_silly_window()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: new TcpSocketOptions { ReceiveBufferBytes = 8192, MaxReceiveBufferBytes = 8192 });
        for (int i = 0; i < 8; i++)
        {
            c.PeerSends(Bytes(1024, 1));
        }
        var acks = h.Drain();
        Assert.True(c.Socket.BytesAvailable == 8192, string.Join("; ", acks) + " avail " + c.Socket.BytesAvailable);
        // RFC 9293 §3.8.6.2.2: freeing 100 bytes is below min(buffer/2, MSS): the right edge stays put.
        Assert.Equal(100, c.Socket.Receive(new byte[100]));
        h.Advance(TimeSpan.Zero);
        h.ExpectNothing();
        h.Send(c.Peer(), Bytes(1, 0));
        Assert.Equal(0, h.ExpectOne().Repr.Window);
    }

    [Fact]
    public void The_receive_buffer_grows_when_the_sender_fills_it_within_an_RTT()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: new TcpSocketOptions { ReceiveBufferBytes = 64 * 1024, MaxReceiveBufferBytes = 1 << 20 },
            windowScale: 7);
        // The handshake measured no RTT (same instant), so SRTT is 0 and the period is the 1 ms floor.
        for (int i = 0; i < 30; i++)
        {
            c.PeerSends(Bytes(1460, 1));
            c.Socket.Receive(new byte[1460]);
        }
        h.Advance(TimeSpan.FromMilliseconds(2));
        c.PeerSends(Bytes(1460, 1));
        Assert.True(c.Socket.Stats.ReceiveBufferBytes > 64 * 1024);
        Assert.True(c.Socket.Stats.ReceiveBufferBytes <= 1 << 20);
    }
}
