using System.Diagnostics;
using System.Globalization;
using Mip.Client;
using Mip.EndToEnd.Tests.Lab;
using Mip.EndToEnd.Tests.Tcp;
using Mip.Grpc.V1;

namespace Mip.EndToEnd.Tests.Grpc;

/// <summary>
/// Figures for TcpService, not pass/fail tests: single-stream throughput kernel -> stack -> gRPC client and back, as a
/// ratio to the same transfer with an in-process consumer measured in the same run, connect + first byte latency, and 1,000 concurrent gRPC-held connections with the server's memory per connection.
/// Explicit: run with
/// <c>MIP_BENCH_OUT=out.txt dotnet test --project tests/Mip.EndToEnd.Tests -- --filter-class '*TcpServiceBench' --explicit only</c>
/// (figures appended to MIP_BENCH_OUT, default /tmp/mip-grpc-tcp-bench.txt).
/// </summary>
public sealed class TcpServiceBench(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private const string Kernel = "192.168.2.1";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Explicit = true)]
    public async Task Figures()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        const long size = 512L << 20;

        // The baseline, measured in this run against the same kernel peers (constant-buffer source, counting sink):
        // the stack with an in-process consumer, i.e. bench/Mip.Bench pcap-rx and pcap-tx as `./run.sh bench tcp`
        // runs them. Best of Rounds on both sides, so one unlucky round on a 2-core machine skews neither.
        int port = 9400;
        double inReceive = 0, inSend = 0;
        for (int round = 0; round < Rounds; round++)
        {
            inReceive = Math.Max(inReceive, InProcessReceive(lab, size, port++));
            inSend = Math.Max(inSend, InProcessSend(lab, size, port++));
        }
        Print($"in-process (bench pcap-rx / pcap-tx): kernel -> stack {inReceive:F2} Gbit/s, stack -> kernel {inSend:F2} Gbit/s (best of {Rounds})");

        lab.StartDnsmasq();
        using var server = new MipServerProcess(lab, null, "--max-sockets-per-client", "4096");
        Assert.True(server.WaitForOutput("READY, IP:", Timeout), server.Output);
        using var client = new MipClient($"http://127.0.0.1:{server.GrpcPort}");
        double download = 0, upload = 0;
        for (int round = 0; round < Rounds; round++)
        {
            download = Math.Max(download, await DownloadAsync(lab, client, size, port++));
            upload = Math.Max(upload, await UploadAsync(lab, client, size, port++));
        }
        Print($"download kernel -> stack -> gRPC client: {download:F2} Gbit/s = {download / inReceive:F2}x in-process (target >= 0.6x)");
        Print($"upload gRPC client -> stack -> kernel: {upload:F2} Gbit/s = {upload / inSend:F2}x in-process (target >= 0.6x)");

        await LatencyAsync(lab, client);
        await ManyConnectionsAsync(lab, server, client, 1000);
    }

    private const int Rounds = 2;
    private const string BenchAddress = "192.168.2.60"; // outside the lab's DHCP pool

    private static double InProcessReceive(LabNetwork lab, long size, int port)
    {
        using var stack = StartBench(lab, "pcap-rx", $"{BenchAddress}/24", $"{port}", "60");
        Assert.True(stack.WaitForOutput("listening", Timeout), stack.Output);
        using var source = KernelPeer.Start(lab, "connect-source", "--host", BenchAddress, "--port", $"{port}", "--send", $"{size}");
        return BenchGbps(stack);
    }

    private static double InProcessSend(LabNetwork lab, long size, int port)
    {
        using var sink = KernelPeer.Serve(lab, "serve-sink", port);
        using var stack = StartBench(lab, "pcap-tx", $"{BenchAddress}/24", $"{Kernel}:{port}", $"{size}", "60");
        double gbps = BenchGbps(stack);
        Assert.Equal(size, KernelPeer.Result(sink, Timeout).GetProperty("received").GetInt64());
        return gbps;
    }

    private static LabProcess StartBench(LabNetwork lab, string mode, params string[] args)
    {
        string dll = Path.Combine(MipServerProcess.RepositoryRoot, "bench", "Mip.Bench", "bin", "Release", "net10.0", "mip-bench.dll");
        Assert.True(File.Exists(dll), $"{dll} missing: build the solution in Release first");
        return lab.Start(lab.StackNamespace, mode, ["dotnet", dll, mode, lab.StackNamespace, LabNetwork.StackInterface, .. args]);
    }

    /// <summary>The gbps figure of the RESULT line mip-bench prints when its transfer is done.</summary>
    private static double BenchGbps(LabProcess bench)
    {
        Assert.True(bench.WaitForExit(Timeout), bench.Output);
        string result = bench.Output.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"mip-bench printed no RESULT: {bench.Output}");
        string gbps = result.Split(' ').Single(f => f.StartsWith("gbps=", StringComparison.Ordinal))["gbps=".Length..];
        return double.Parse(gbps, CultureInfo.InvariantCulture);
    }

    /// <summary>The kernel sends <paramref name="size"/> bytes; the gRPC client reads them (counting, no hashing).</summary>
    private static async Task<double> DownloadAsync(LabNetwork lab, MipClient client, long size, int port)
    {
        using var source = KernelPeer.Serve(lab, "serve-source", port, "--send", $"{size}");
        var buffer = new byte[256 * 1024];
        long received = 0;
        var watch = Stopwatch.StartNew();
        await using (var stream = await client.ConnectAsync(Kernel, port, cancellationToken: Ct))
        {
            await stream.ShutdownAsync(Ct);
            int n;
            while ((n = await stream.ReadAsync(buffer, Ct)) > 0)
            {
                received += n;
            }
        }
        var elapsed = watch.Elapsed;
        Assert.Equal(size, received);
        KernelPeer.Result(source, Timeout);
        return size * 8 / elapsed.TotalSeconds / 1e9;
    }

    /// <summary>The gRPC client writes <paramref name="size"/> bytes; the stack sends them to a counting kernel sink.</summary>
    private static async Task<double> UploadAsync(LabNetwork lab, MipClient client, long size, int port)
    {
        using var sink = KernelPeer.Serve(lab, "serve-sink", port);
        var block = new byte[64 * 1024];
        var watch = Stopwatch.StartNew();
        await using (var stream = await client.ConnectAsync(Kernel, port, cancellationToken: Ct))
        {
            for (long sent = 0; sent < size; sent += block.Length)
            {
                await stream.WriteAsync(block, Ct);
            }
            await stream.ShutdownAsync(Ct);
            Assert.Equal(0, await stream.ReadAsync(block, Ct)); // the sink's FIN: everything was delivered
        }
        var elapsed = watch.Elapsed;
        Assert.Equal(size, KernelPeer.Result(sink, Timeout).GetProperty("received").GetInt64());
        return size * 8 / elapsed.TotalSeconds / 1e9;
    }

    private async Task LatencyAsync(LabNetwork lab, MipClient client)
    {
        // A kernel server that writes one byte to every connection it accepts.
        var banner = lab.Start(lab.KernelNamespace, "banner", "python3", "-c",
            "import socket\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('0.0.0.0',9502));s.listen(512);print('listening',flush=True)\n" +
            "while True:\n c,_=s.accept();c.sendall(b'x');c.close()");
        Assert.True(banner.WaitForOutput("listening", Timeout), banner.Output);
        var samples = new List<double>();
        var one = new byte[1];
        for (int i = 0; i < 220; i++)
        {
            var watch = Stopwatch.StartNew();
            await using var stream = await client.ConnectAsync(Kernel, 9502, new TcpOptions { NoDelay = true }, cancellationToken: Ct);
            Assert.Equal(1, await stream.ReadAsync(one, Ct));
            if (i >= 20)
            {
                samples.Add(watch.Elapsed.TotalMilliseconds); // the first 20 warm up JIT, HTTP/2 and ARP
            }
        }
        samples.Sort();
        Print($"connect + first byte over gRPC: p50 {samples[samples.Count / 2]:F2} ms, p90 {samples[samples.Count * 9 / 10]:F2} ms, p99 {samples[samples.Count * 99 / 100]:F2} ms ({samples.Count} connections)");
    }

    private async Task ManyConnectionsAsync(LabNetwork lab, MipServerProcess server, MipClient client, int count)
    {
        var holder = lab.Start(lab.KernelNamespace, "holder", "python3", "-c",
            "import socket\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('0.0.0.0',9503));s.listen(4096);print('listening',flush=True)\n" +
            "held=[]\nwhile True:\n c,_=s.accept();held.append(c)");
        Assert.True(holder.WaitForOutput("listening", Timeout), holder.Output);
        await Task.Delay(1000, Ct);
        long before = RssBytes(server.ProcessId);
        var watch = Stopwatch.StartNew();
        var streams = new MipTcpStream[count];
        using var gate = new SemaphoreSlim(64); // the stack's listen queue on the kernel side, not a limit of ours
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync(Ct);
            try
            {
                streams[i] = await client.ConnectAsync(Kernel, 9503, cancellationToken: Ct);
            }
            finally
            {
                gate.Release();
            }
        }));
        var opened = watch.Elapsed;
        var listed = await client.Stack.ListSocketsAsync(new ListSocketsRequest(), cancellationToken: Ct);
        Assert.Equal(count, listed.Sockets.Count(s => s.Protocol == SocketProtocol.Tcp && s.State == "Established"));
        await Task.Delay(1000, Ct);
        long after = RssBytes(server.ProcessId);
        Print($"{count} concurrent gRPC-held connections opened in {opened.TotalSeconds:F2} s; server RSS {before / 1048576.0:F1} -> {after / 1048576.0:F1} MiB, " +
              $"{(after - before) / (double)count / 1024:F1} KiB per connection");
        foreach (var stream in streams)
        {
            stream.Dispose();
        }
    }

    private static long RssBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }
        throw new InvalidOperationException("no VmRSS");
    }

    /// <summary>The test platform hides a passing test's output, so the figures also go to a file (MIP_BENCH_OUT).</summary>
    private void Print(string line)
    {
        output.WriteLine(line);
        string file = Environment.GetEnvironmentVariable("MIP_BENCH_OUT") ?? Path.Combine(Path.GetTempPath(), "mip-grpc-tcp-bench.txt");
        File.AppendAllText(file, line + Environment.NewLine);
    }
}
