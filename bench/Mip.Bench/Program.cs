using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Mip.Bench;
using Mip.Server.Hosting;
using Mip.Stack;
using Mip.Stack.Iface;
using Mip.Stack.Pcap;
using Mip.Stack.Phy;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

// mip-bench memory BYTES [QUEUE_FRAMES]
//   two stacks on an in-memory cable, one thread, real time: Gbit/s and bytes allocated per segment in steady state.
//   BYTES are timed after 256 MiB of warm-up on the same connection; each direction of the cable queues QUEUE_FRAMES
//   frames (default 1024, drop-tail).
// mip-bench pcap-rx NETNS IFACE IP/PREFIX PORT TIMEOUT_S       stack listens, counts what the kernel sends
// mip-bench pcap-tx NETNS IFACE IP/PREFIX PEER:PORT BYTES TIMEOUT_S   stack connects, sends BYTES
// mip-bench pcap-bidi NETNS IFACE IP/PREFIX PORT PEER:PORT BYTES TIMEOUT_S   both of the above at once
// mip-bench pcap-pps NETNS IFACE IP/PREFIX SECONDS raw|stack   frames/s received by the driver alone or with the stack
// Every mode prints one line "RESULT key=value ..." for scripts/bench.sh.
string mode = args.Length > 0 ? args[0] : "";
return mode switch
{
    "memory" => Memory(long.Parse(args[1], CultureInfo.InvariantCulture),
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : RingLink.DefaultQueueFrames),
    "pcap-rx" or "pcap-tx" or "pcap-bidi" => Pcap(mode, args),
    "pcap-pps" => Pps(args),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: mip-bench memory BYTES [QUEUE_FRAMES] | pcap-rx NETNS IFACE IP/PREFIX PORT TIMEOUT_S | pcap-tx NETNS IFACE IP/PREFIX PEER:PORT BYTES TIMEOUT_S | pcap-bidi NETNS IFACE IP/PREFIX PORT PEER:PORT BYTES TIMEOUT_S | pcap-pps NETNS IFACE IP/PREFIX SECONDS raw|stack");
    return 2;
}

static int Memory(long bytes, int queueFrames)
{
    var link = new RingLink(1500, queueFrames);
    var clock = Stopwatch.StartNew();
    var ipA = Ipv4Address.Parse("192.168.2.1");
    var ipB = Ipv4Address.Parse("192.168.2.10");
    var mask = Ipv4Address.MaskFromPrefix(24);
    var start = new Instant(0);
    var a = new NetStack(link.A, new StackOptions { Mac = MacAddress.Parse("02:00:00:00:00:01"), StaticIpv4 = new(ipA, mask, Ipv4Address.Any, []), DhcpEnabled = false }, new Random(1), start);
    var b = new NetStack(link.B, new StackOptions { Mac = MacAddress.Parse("02:00:00:00:00:02"), StaticIpv4 = new(ipB, mask, Ipv4Address.Any, []), DhcpEnabled = false }, new Random(2), start);
    var listener = b.ListenTcp(5201);
    var bench = new MemoryRun(a, b, listener, new Ipv4Endpoint(ipB, 5201), clock);

    // Warm-up: the first 256 MiB of the connection are not timed, so the timed part runs tiered-up (Tier-1,
    // PGO-optimised) code, past slow start and past the buffers' auto-tuning (which allocates as it grows). Tiering
    // promotes a method only after 30 calls and a 100 ms quiet period, then compiles in the background: the old
    // warm-up (an eighth of the transfer, at most 32 MiB, about 50 ms) timed part of it with Tier-0 code.
    const long warmup = 256L << 20;
    if (!bench.Transfer(warmup + bytes, warmup, out var r))
    {
        return 1;
    }
    double gbps = r.Bytes * 8 / r.Seconds / 1e9;
    double cpuGbps = r.Bytes * 8 / Math.Max(1e-9, r.CpuSeconds) / 1e9;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"RESULT mode=memory bytes={r.Bytes} gbps={gbps:F3} cpu_gbps={cpuGbps:F3} segments={r.Segments} alloc_bytes={r.Alloc} alloc_per_segment={(double)r.Alloc / Math.Max(1, r.Segments):F1} retransmits={r.Retransmits} link_drops={link.A.Dropped + link.B.Dropped} cwnd_segments={r.CwndSegments} queue_frames={queueFrames}"));
    return 0;
}

static int Pcap(string mode, string[] args)
{
    // pcap-rx NETNS IFACE IP PORT TIMEOUT | pcap-tx NETNS IFACE IP PEER:PORT BYTES TIMEOUT
    // pcap-bidi NETNS IFACE IP PORT PEER:PORT BYTES TIMEOUT
    bool receives = mode is "pcap-rx" or "pcap-bidi";
    bool sends = mode is "pcap-tx" or "pcap-bidi";
    int next = 4;
    ushort port = receives ? ushort.Parse(args[next++], CultureInfo.InvariantCulture) : (ushort)0;
    Ipv4Endpoint remote = default;
    long bytes = 0;
    if (sends)
    {
        var peerArg = args[next++].Split(':');
        remote = new Ipv4Endpoint(Ipv4Address.Parse(peerArg[0]), ushort.Parse(peerArg[1], CultureInfo.InvariantCulture));
        bytes = long.Parse(args[next++], CultureInfo.InvariantCulture);
    }
    int timeoutSeconds = int.Parse(args[next], CultureInfo.InvariantCulture);

    using var pcap = PcapDevice.Open(new PcapDeviceOptions { Interface = args[2], Namespace = args[1] });
    var stack = new NetStack(pcap, StackConfiguration.Build(new MipOptions { Interface = args[2], Netns = args[1], Ip = args[3] }), new Random(), MonotonicClock.Now);
    using var waiter = new PcapLoopWaiter(pcap);
    using var loop = new StackLoop(stack, waiter, NullLogger.Instance);
    var clock = Stopwatch.StartNew();
    var rx = new Transfer();
    var tx = new Transfer();
    TcpListener? listener = null;
    var done = new ManualResetEventSlim();
    loop.AddPollHook((s, now) =>
    {
        if (receives)
        {
            listener ??= s.ListenTcp(port);
            if (rx.Peer is null && listener.TryAccept(out var socket))
            {
                rx.Peer = new BulkPeer(socket, 0);
            }
            if (rx.Peer is { } p)
            {
                p.Pump();
                rx.Observe(p.Received > 0, p.Socket.IsReceiveFinished, clock.Elapsed);
                if (p.Socket.IsReceiveFinished && p.Socket.State == TcpState.CloseWait)
                {
                    p.Socket.Close();
                }
            }
        }
        if (sends)
        {
            var p = tx.Peer ??= new BulkPeer(s.ConnectTcp(remote, now), bytes);
            p.Pump();
            // Done when everything was sent and the kernel acknowledged our FIN (its own FIN follows).
            tx.Observe(p.Socket.State == TcpState.Established, p.Sent == bytes && p.Socket.State is TcpState.FinWait2 or TcpState.TimeWait or TcpState.Closed or TcpState.Closing, clock.Elapsed);
        }
        if ((!receives || rx.Finished) && (!sends || tx.Finished))
        {
            done.Set();
        }
    });
    Console.WriteLine("listening");
    loop.Start();
    if (!done.Wait(TimeSpan.FromSeconds(timeoutSeconds)))
    {
        Console.Error.WriteLine($"{mode}: not done within {timeoutSeconds} s (received {rx.Peer?.Received ?? 0}, sent {tx.Peer?.Sent ?? 0}; states {rx.Peer?.Socket.State} {tx.Peer?.Socket.State})");
        return 1;
    }
    loop.Dispose();
    var c = stack.Counters;
    long rxBytes = rx.Peer?.Received ?? 0, txBytes = tx.Peer?.Sent ?? 0;
    double rxGbps = rx.Gbps(rxBytes), txGbps = tx.Gbps(txBytes);
    var span = (Transfer.Last(rx, tx) - Transfer.First(rx, tx)).TotalSeconds;
    string figures = mode switch
    {
        "pcap-rx" => $"bytes={rxBytes} gbps={rxGbps:F3}",
        "pcap-tx" => $"bytes={txBytes} gbps={txGbps:F3}",
        _ => $"rx_bytes={rxBytes} rx_gbps={rxGbps:F3} tx_bytes={txBytes} tx_gbps={txGbps:F3} total_gbps={(rxBytes + txBytes) * 8 / span / 1e9:F3}",
    };
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"RESULT mode={mode} {figures} retransmits={c.TcpRetransmitsRto + c.TcpRetransmitsFast + c.TcpRetransmitsTlp} segments_sent={c.TcpSegmentsSent} segments_received={c.TcpSegmentsReceived} loop_iterations={loop.Iterations} pcap_drops={pcap.Statistics.KernelDrops}"));
    return 0;
}

// pcap-pps NETNS IFACE IP SECONDS raw|stack: counts frames for SECONDS from the first one; raw = the driver alone.
static int Pps(string[] args)
{
    int seconds = int.Parse(args[4], CultureInfo.InvariantCulture);
    using var pcap = PcapDevice.Open(new PcapDeviceOptions { Interface = args[2], Namespace = args[1] });
    var window = TimeSpan.FromSeconds(seconds);
    long frames;
    TimeSpan elapsed;
    if (args[5] == "raw")
    {
        long count = 0;
        FrameHandler handler = _ => count++;
        Console.WriteLine("listening");
        while (pcap.Receive(handler, 256) == 0)
        {
            pcap.WaitForFrames(TimeSpan.FromMilliseconds(100));
        }
        var clock = Stopwatch.StartNew();
        long start = count;
        while (clock.Elapsed < window)
        {
            if (pcap.Receive(handler, 256) == 0)
            {
                pcap.WaitForFrames(TimeSpan.FromMilliseconds(10));
            }
        }
        elapsed = clock.Elapsed;
        frames = count - start;
    }
    else
    {
        var stack = new NetStack(pcap, StackConfiguration.Build(new MipOptions { Interface = args[2], Netns = args[1], Ip = args[3] }), new Random(), MonotonicClock.Now);
        using var waiter = new PcapLoopWaiter(pcap);
        using var loop = new StackLoop(stack, waiter, NullLogger.Instance);
        loop.Start();
        Console.WriteLine("listening");
        while (pcap.Statistics.FramesReceived == 0)
        {
            Thread.Sleep(1);
        }
        var clock = Stopwatch.StartNew();
        long start = pcap.Statistics.FramesReceived;
        Thread.Sleep(window);
        frames = pcap.Statistics.FramesReceived - start;
        elapsed = clock.Elapsed;
    }
    var st = pcap.Statistics;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"RESULT mode=pcap-pps-{args[5]} frames={frames} pps={frames / elapsed.TotalSeconds:F0} pcap_drops={st.KernelDrops}"));
    return 0;
}
