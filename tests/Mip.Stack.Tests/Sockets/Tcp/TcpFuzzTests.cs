using Mip.Stack.Iface;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Tcp;

/// <summary>
/// Random segments near and far from the connection's sequence space, with random flags, options and payloads: the
/// stack must never throw (the per-frame safety net counts <see cref="DropReason.Malformed"/> if it did) and the
/// socket's invariants must hold.
/// </summary>
public sealed class TcpFuzzTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_segments_never_break_the_stack(int seed)
    {
        var random = new Random(seed);
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: new TcpSocketOptions { ReceiveBufferBytes = 16384, MaxReceiveBufferBytes = 65536 },
            timestamps: seed != 2, sack: seed != 3, windowScale: 3);
        var buffer = new byte[4096];
        for (int i = 0; i < 5000; i++)
        {
            var flags = (TcpFlags)random.Next(256);
            if (random.Next(4) != 0)
            {
                flags &= ~(TcpFlags.Syn | TcpFlags.Rst); // mostly keep the connection alive
            }
            int spread = random.Next(4) switch { 0 => 10, 1 => 70_000, 2 => int.MaxValue / 2, _ => 2000 };
            var seq = c.PeerNext + random.Next(-spread, spread);
            var ack = c.LocalNext + random.Next(-spread, spread);
            var repr = TcpHarness.Seg(TcpConnection.PeerPort, TcpConnection.LocalPort, seq, ack, flags, (ushort)random.Next(65536)) with
            {
                Timestamp = random.Next(3) == 0 ? null : new TcpTimestamp((uint)random.Next(), (uint)random.Next()),
                SackBlocks = random.Next(3) == 0
                    ? TcpSackBlocks.From([new TcpSackBlock(c.LocalNext + random.Next(-5000, 5000), c.LocalNext + random.Next(-5000, 5000))])
                    : default,
            };
            var payload = new byte[random.Next(3) == 0 ? 0 : random.Next(1, 1400)];
            h.Send(repr, payload);
            if (random.Next(10) == 0)
            {
                c.Socket.Send(payload);
            }
            if (random.Next(5) == 0)
            {
                c.Socket.Receive(buffer);
            }
            if (random.Next(50) == 0)
            {
                h.Advance(TimeSpan.FromMilliseconds(random.Next(1, 3000)));
            }
            h.Drain();
            Assert.InRange(c.Socket.BytesAvailable, 0, 65536);
            if (c.Socket.State == TcpState.Closed)
            {
                break;
            }
        }
        h.RunUntil(h.Now + TimeSpan.FromMinutes(30));
        Assert.True(h.Stack.NextPollAt(h.Now) > h.Now, "a due timer that never clears would make the host spin");
        Assert.Equal(0, h.Stack.Counters.Drops(DropReason.Malformed));
        Assert.True(c.Socket.State is TcpState.Closed or TcpState.Established or TcpState.CloseWait or TcpState.TimeWait,
            c.Socket.State.ToString());
    }
}
