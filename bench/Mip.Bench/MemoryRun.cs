using System.Diagnostics;
using Mip.Stack;
using Mip.Stack.Iface;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Bench;

/// <summary>What a transfer measured, from the point where measuring began to the end of the stream.</summary>
internal readonly record struct MemoryResult(long Bytes, double Seconds, double CpuSeconds, long Segments, long Alloc,
    long Retransmits, long CwndSegments);

/// <summary>
/// Bulk transfers between two stacks on one thread: poll both, accept, pump source and sink, until the sink has read
/// the whole stream. One clock read per iteration (each iteration moves up to a poll's worth of frames, 256).
/// </summary>
internal sealed class MemoryRun(NetStack a, NetStack b, TcpListener listener, Ipv4Endpoint server, Stopwatch clock)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    public bool Transfer(long bytes, long measureFrom, out MemoryResult result)
    {
        result = default;
        var began = clock.Elapsed;
        var source = new BulkPeer(a.ConnectTcp(server, Now(began)), bytes);
        BulkPeer? sink = null;
        bool measuring = false;
        long allocStart = 0, segStart = 0, bytesStart = 0;
        TimeSpan timeStart = default, cpuStart = default;
        while (sink is null || !sink.Socket.IsReceiveFinished)
        {
            var elapsed = clock.Elapsed;
            var now = Now(elapsed);
            a.Poll(now);
            b.Poll(now);
            if (sink is null && listener.TryAccept(out var accepted))
            {
                sink = new BulkPeer(accepted, 0);
            }
            source.Pump();
            sink?.Pump();
            if (!measuring && sink is not null && sink.Received >= measureFrom)
            {
                measuring = true;
                cpuStart = Process.GetCurrentProcess().TotalProcessorTime; // allocates: before the allocation count
                allocStart = GC.GetAllocatedBytesForCurrentThread();
                segStart = a.Counters.TcpSegmentsSent + b.Counters.TcpSegmentsSent;
                bytesStart = sink.Received;
                timeStart = clock.Elapsed;
            }
            if (elapsed - began > Deadline)
            {
                Console.Error.WriteLine($"memory: not done after {Deadline} ({sink?.Received ?? 0} of {bytes} bytes)");
                return false;
            }
        }
        long alloc = GC.GetAllocatedBytesForCurrentThread() - allocStart;
        var seconds = (clock.Elapsed - timeStart).TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
        var st = source.Socket.Stats;
        result = new MemoryResult(sink.Received - bytesStart, seconds, cpu,
            a.Counters.TcpSegmentsSent + b.Counters.TcpSegmentsSent - segStart, alloc,
            st.RetransmitsRto + st.RetransmitsFast + st.RetransmitsTlp, st.CongestionWindow / Math.Max(1, st.SendMss));
        if (sink.Received != bytes)
        {
            Console.Error.WriteLine($"memory: received {sink.Received} of {bytes} bytes");
            return false;
        }
        return true;
    }

    private static Instant Now(TimeSpan elapsed) => new(elapsed.Ticks / 10);
}
