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

// mip-bench memory BYTES
//   two stacks on an in-memory cable, one thread, real time: Gbit/s and bytes allocated per segment in steady state.
// mip-bench pcap-rx NETNS IFACE IP/PREFIX PORT TIMEOUT_S       stack listens, counts what the kernel sends
// mip-bench pcap-tx NETNS IFACE IP/PREFIX PEER:PORT BYTES TIMEOUT_S   stack connects, sends BYTES
// Every mode prints one line "RESULT key=value ..." for scripts/bench.sh.
string mode = args.Length > 0 ? args[0] : "";
return mode switch
{
    "memory" => Memory(long.Parse(args[1], CultureInfo.InvariantCulture)),
    "pcap-rx" or "pcap-tx" => Pcap(mode, args),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: mip-bench memory BYTES | pcap-rx NETNS IFACE IP/PREFIX PORT TIMEOUT_S | pcap-tx NETNS IFACE IP/PREFIX PEER:PORT BYTES TIMEOUT_S");
    return 2;
}

static int Memory(long bytes)
{
    var link = new InMemoryLink(1500, 1 << 16);
    var clock = Stopwatch.StartNew();
    Instant Now() => new(clock.Elapsed.Ticks / 10);
    var ipA = Ipv4Address.Parse("192.168.2.1");
    var ipB = Ipv4Address.Parse("192.168.2.10");
    var mask = Ipv4Address.MaskFromPrefix(24);
    var a = new NetStack(link.A, new StackOptions { Mac = MacAddress.Parse("02:00:00:00:00:01"), StaticIpv4 = new(ipA, mask, Ipv4Address.Any, []), DhcpEnabled = false }, new Random(1), Now());
    var b = new NetStack(link.B, new StackOptions { Mac = MacAddress.Parse("02:00:00:00:00:02"), StaticIpv4 = new(ipB, mask, Ipv4Address.Any, []), DhcpEnabled = false }, new Random(2), Now());
    var listener = b.ListenTcp(5201);
    var source = new BulkPeer(a.ConnectTcp(new Ipv4Endpoint(ipB, 5201), Now()), bytes);
    BulkPeer? sink = null;

    long warmup = Math.Min(bytes / 8, 32L << 20);
    long allocStart = 0, segStart = 0, bytesStart = 0;
    TimeSpan timeStart = default;
    var deadline = TimeSpan.FromMinutes(2);
    while (sink is null || !sink.Socket.IsReceiveFinished)
    {
        var now = Now();
        a.Poll(now);
        b.Poll(now);
        if (sink is null && listener.TryAccept(out var accepted))
        {
            sink = new BulkPeer(accepted, 0);
        }
        source.Pump();
        sink?.Pump();
        if (allocStart == 0 && sink is not null && sink.Received >= warmup)
        {
            allocStart = GC.GetAllocatedBytesForCurrentThread();
            segStart = a.Counters.TcpSegmentsSent + b.Counters.TcpSegmentsSent;
            bytesStart = sink.Received;
            timeStart = clock.Elapsed;
        }
        if (clock.Elapsed > deadline)
        {
            Console.Error.WriteLine($"memory: not done after {deadline} ({sink?.Received ?? 0} of {bytes} bytes)");
            return 1;
        }
    }
    long alloc = GC.GetAllocatedBytesForCurrentThread() - allocStart;
    long segments = a.Counters.TcpSegmentsSent + b.Counters.TcpSegmentsSent - segStart;
    double seconds = (clock.Elapsed - timeStart).TotalSeconds;
    double gbps = (sink.Received - bytesStart) * 8 / seconds / 1e9;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"RESULT mode=memory bytes={sink.Received} gbps={gbps:F3} segments={segments} alloc_bytes={alloc} alloc_per_segment={(double)alloc / Math.Max(1, segments):F1}"));
    return sink.Received == bytes ? 0 : 1;
}

static int Pcap(string mode, string[] args)
{
    var mip = new MipOptions { Interface = args[2], Netns = args[1], Ip = args[3] };
    var options = StackConfiguration.Build(mip);
    using var pcap = PcapDevice.Open(new PcapDeviceOptions { Interface = args[2], Namespace = args[1] });
    var stack = new NetStack(pcap, options, new Random(), MonotonicClock.Now);
    using var waiter = new PcapLoopWaiter(pcap);
    BulkPeer? peer = null;
    long firstByteTicks = 0;
    var clock = Stopwatch.StartNew();
    var done = new ManualResetEventSlim();
    TimeSpan finishedAt = default;
    int timeoutSeconds;
    using var loop = new StackLoop(stack, waiter, NullLogger.Instance);
    if (mode == "pcap-rx")
    {
        ushort port = ushort.Parse(args[4], CultureInfo.InvariantCulture);
        timeoutSeconds = int.Parse(args[5], CultureInfo.InvariantCulture);
        TcpListener? listener = null;
        loop.AddPollHook((s, _) =>
        {
            listener ??= s.ListenTcp(port);
            if (peer is null && listener.TryAccept(out var socket))
            {
                peer = new BulkPeer(socket, 0);
            }
            peer?.Pump();
            if (peer is { Received: > 0 } && firstByteTicks == 0)
            {
                firstByteTicks = clock.Elapsed.Ticks;
            }
            if (peer is not null && peer.Socket.IsReceiveFinished && !done.IsSet)
            {
                finishedAt = clock.Elapsed;
                peer.Socket.Close();
                done.Set();
            }
        });
        Console.WriteLine("listening");
    }
    else
    {
        var remote = args[4].Split(':');
        var endpoint = new Ipv4Endpoint(Ipv4Address.Parse(remote[0]), ushort.Parse(remote[1], CultureInfo.InvariantCulture));
        long bytes = long.Parse(args[5], CultureInfo.InvariantCulture);
        timeoutSeconds = int.Parse(args[6], CultureInfo.InvariantCulture);
        loop.AddPollHook((s, now) =>
        {
            peer ??= new BulkPeer(s.ConnectTcp(endpoint, now), bytes);
            if (peer.Socket.State == TcpState.Established && firstByteTicks == 0)
            {
                firstByteTicks = clock.Elapsed.Ticks;
            }
            peer.Pump();
            // Done when everything was sent and the kernel acknowledged our FIN (its own FIN follows).
            if (peer.Sent == bytes && peer.Socket.State is TcpState.FinWait2 or TcpState.TimeWait or TcpState.Closed or TcpState.Closing && !done.IsSet)
            {
                finishedAt = clock.Elapsed;
                done.Set();
            }
        });
    }
    loop.Start();
    if (!done.Wait(TimeSpan.FromSeconds(timeoutSeconds)))
    {
        Console.Error.WriteLine($"{mode}: not done within {timeoutSeconds} s ({peer?.Sent ?? 0} sent, {peer?.Received ?? 0} received, state {peer?.Socket.State}, error {peer?.Socket.Error})");
        return 1;
    }
    long moved = mode == "pcap-rx" ? peer!.Received : peer!.Sent;
    double seconds = (finishedAt - TimeSpan.FromTicks(firstByteTicks)).TotalSeconds;
    var st = pcap.Statistics;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"RESULT mode={mode} bytes={moved} gbps={moved * 8 / seconds / 1e9:F3} retransmits={stack.Counters.TcpRetransmitsRto + stack.Counters.TcpRetransmitsFast + stack.Counters.TcpRetransmitsTlp} pcap_drops={st}"));
    return 0;
}
