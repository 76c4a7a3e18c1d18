using System.Diagnostics;
using System.Globalization;
using Mip.Client;
using Mip.EndToEnd.Tests.Lab;
using Mip.EndToEnd.Tests.Tcp;
using Mip.Grpc.V1;

namespace Mip.EndToEnd.Tests.Grpc;

/// <summary>
/// Figures for TcpService, not pass/fail tests: single-stream throughput kernel -> stack -> gRPC client and back,
/// connect + first byte latency, and 1,000 concurrent gRPC-held connections with the server's memory per connection.
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
        lab.StartDnsmasq();
        using var server = new MipServerProcess(lab, null, "--max-sockets-per-client", "4096");
        Assert.True(server.WaitForOutput("READY, IP:", Timeout), server.Output);
        using var client = new MipClient($"http://127.0.0.1:{server.GrpcPort}");

        // Download: the kernel sends, the stack receives, the gRPC client reads.
        const long size = 512L << 20;
        var sender = KernelPeer.Serve(lab, "serve-stream", 9500, "--send", $"{size}");
        var watch = Stopwatch.StartNew();
        await using (var stream = await client.ConnectAsync(Kernel, 9500, cancellationToken: Ct))
        {
            await stream.ShutdownAsync(Ct);
            var (received, _) = await TcpServiceEndToEndTests.ReadToEndAsync(stream);
            Assert.Equal(size, received);
        }
        Report("download kernel -> stack -> gRPC client", size, watch.Elapsed);
        KernelPeer.Result(sender, Timeout);

        // Upload: the gRPC client writes, the stack sends, the kernel reads (and hashes).
        var sink = KernelPeer.Serve(lab, "serve-stream", 9501);
        var block = new byte[64 * 1024];
        new Random(1).NextBytes(block);
        watch.Restart();
        await using (var stream = await client.ConnectAsync(Kernel, 9501, cancellationToken: Ct))
        {
            for (long sent = 0; sent < size; sent += block.Length)
            {
                await stream.WriteAsync(block, Ct);
            }
            await stream.ShutdownAsync(Ct);
            Assert.Equal(0, (await TcpServiceEndToEndTests.ReadToEndAsync(stream)).Length);
        }
        var result = KernelPeer.Result(sink, Timeout);
        Report("upload gRPC client -> stack -> kernel", result.GetProperty("received").GetInt64(), watch.Elapsed);

        await LatencyAsync(lab, client);
        await ManyConnectionsAsync(lab, server, client, 1000);
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

    private void Report(string what, long bytes, TimeSpan elapsed) =>
        Print($"{what}: {bytes / 1048576} MiB in {elapsed.TotalSeconds:F2} s = {bytes * 8 / elapsed.TotalSeconds / 1e9:F2} Gbit/s");

    /// <summary>The test platform hides a passing test's output, so the figures also go to a file (MIP_BENCH_OUT).</summary>
    private void Print(string line)
    {
        output.WriteLine(line);
        string file = Environment.GetEnvironmentVariable("MIP_BENCH_OUT") ?? Path.Combine(Path.GetTempPath(), "mip-grpc-tcp-bench.txt");
        File.AppendAllText(file, line + Environment.NewLine);
    }
}
