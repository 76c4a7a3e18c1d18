using System.Diagnostics;
using Mip.Stack.Phy;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Tests.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Tcp;

/// <summary>
/// Steady-state cost of the TCP path between two stacks over a cable that allocates nothing itself (preallocated
/// frame slots), so any allocation measured is the stack's.
/// </summary>
public sealed class TcpPerformanceTests(ITestOutputHelper output)
{
    [Fact]
    public void Bulk_transfer_allocates_nothing_per_segment()
    {
        var cable = new SlotCable(1500, 8192);
        var now = Instant.FromSeconds(10);
        var a = StackHarness.Stack(cable.A, Fixtures.MacA, StackHarness.Config(Fixtures.IpA), now, 1);
        var b = StackHarness.Stack(cable.B, Fixtures.MacB, StackHarness.Config(Fixtures.IpB), now, 2);
        var listener = b.ListenTcp(5001);
        var client = a.ConnectTcp(new Ipv4Endpoint(Fixtures.IpB, 5001), now);
        TcpSocket? server = null;
        for (int i = 0; i < 100 && !listener.TryAccept(out server); i++)
        {
            a.Poll(now);
            b.Poll(now);
        }
        Assert.NotNull(server);
        var chunk = new byte[64 * 1024];
        var sink = new byte[256 * 1024];
        long moved = 0;

        void Pump(long bytes)
        {
            long target = moved + bytes;
            while (moved < target)
            {
                client.Send(chunk);
                a.Poll(now);
                b.Poll(now);
                int n;
                while ((n = server!.Receive(sink)) > 0)
                {
                    moved += n;
                }
                while (a.TryDequeueTcpActivity(out _) || b.TryDequeueTcpActivity(out _))
                {
                }
                now += TimeSpan.FromMicroseconds(50);
            }
        }

        Pump(32 << 20); // warm up: slow start done, buffers sized, JIT settled
        long segmentsBefore = a.Counters.TcpSegmentsSent + b.Counters.TcpSegmentsSent;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        Pump(256 << 20);
        watch.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        long segments = a.Counters.TcpSegmentsSent + b.Counters.TcpSegmentsSent - segmentsBefore;
        double gbps = 256.0 * 8 * (1 << 20) / watch.Elapsed.TotalSeconds / 1e9;
        output.WriteLine($"{segments} segments, {allocated} bytes allocated, {gbps:F2} Gbit/s (Debug build, one thread)");
        Assert.True(segments > 150_000);
        // Zero per segment; a few hundred bytes of slack for a queue growing once or a timer event.
        Assert.True(allocated < 4096, $"{allocated} bytes allocated over {segments} segments");
        Assert.Equal(0, a.Counters.TcpRetransmitsRto + a.Counters.TcpRetransmitsFast);
    }

    /// <summary>A cable whose ends copy frames into preallocated slots (a ring per direction): no allocation.</summary>
    private sealed class SlotCable
    {
        public SlotCable(int mtu, int slots)
        {
            A = new End(mtu, slots);
            B = new End(mtu, slots);
            A.Peer = B;
            B.Peer = A;
        }

        public End A { get; }
        public End B { get; }

        public sealed class End(int mtu, int slots) : INetworkDevice
        {
            private readonly byte[][] _slots = Enumerable.Range(0, slots).Select(_ => new byte[mtu + 14]).ToArray();
            private readonly int[] _lengths = new int[slots];
            private int _head;
            private int _count;

            public End Peer { get; set; } = null!;
            public int Mtu => mtu;
            public bool IsLinkUp => true;

            public int Receive(FrameHandler handler, int maxFrames)
            {
                int n = 0;
                while (n < maxFrames && _count > 0)
                {
                    handler(_slots[_head].AsSpan(0, _lengths[_head]));
                    _head = (_head + 1) % _slots.Length;
                    _count--;
                    n++;
                }
                return n;
            }

            public bool Transmit(ReadOnlySpan<byte> frame) => Peer.Accept(frame);

            private bool Accept(ReadOnlySpan<byte> frame)
            {
                if (_count == _slots.Length)
                {
                    return false;
                }
                int tail = (_head + _count) % _slots.Length;
                frame.CopyTo(_slots[tail]);
                _lengths[tail] = frame.Length;
                _count++;
                return true;
            }
        }
    }
}
