using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Mip.EndToEnd.Tests.Lab;
using Mip.EndToEnd.Tests.Stack;
using Mip.Server.Hosting;
using Mip.Stack.Phy;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.EndToEnd.Tests.Tcp;

/// <summary>TCP between the stack and the Linux kernel's TCP over veth, both directions, with kernel tools as peers.</summary>
public sealed class TcpEndToEndTests
{
    private const long TwoFiftySixMiB = 256L << 20;
    private static readonly TimeSpan TransferTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public void Stack_client_and_kernel_server_exchange_256_MiB_each_way()
    {
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        var apps = new LoopApps();
        using var stack = new StackHarness(lab, StackHarness.ServerDefaults(), onPoll: apps.Poll);
        stack.WaitForAddress(TimeSpan.FromSeconds(10));
        var kernel = KernelPeer.Serve(lab, "serve-stream", 9000, "--send", Invariant(TwoFiftySixMiB));

        var clock = Stopwatch.StartNew();
        var peer = stack.Invoke((s, now) =>
        {
            var p = new TcpStreamPeer(s.ConnectTcp(new Ipv4Endpoint(LabNetwork.KernelAddress, 9000), now), TwoFiftySixMiB, seed: 1);
            apps.Add((_, t) => p.Pump(t));
            return p;
        });
        var result = KernelPeer.Result(kernel, TransferTimeout);
        stack.WaitUntil((_, _) => peer.Done, TimeSpan.FromSeconds(30), $"the stack to finish ({peer})");
        Measurements.Report("tcp stack->kernel+kernel->stack 256 MiB each way (stack connects)", $"{2 * TwoFiftySixMiB * 8 / clock.Elapsed.TotalSeconds / 1e9:F2} Gbit/s total");

        AssertExchange(stack, peer, result);
    }

    [Fact]
    public void Kernel_client_and_stack_listener_exchange_256_MiB_each_way()
    {
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        var apps = new LoopApps();
        using var stack = new StackHarness(lab, StackHarness.ServerDefaults(), onPoll: apps.Poll);
        var address = stack.WaitForAddress(TimeSpan.FromSeconds(10)).Address;
        TcpStreamPeer? peer = null;
        stack.Invoke((s, _) =>
        {
            var listener = s.ListenTcp(9001);
            apps.Add((_, t) =>
            {
                if (peer is null && listener.TryAccept(out var socket))
                {
                    peer = new TcpStreamPeer(socket, TwoFiftySixMiB, seed: 2);
                }
                peer?.Pump(t);
            });
            return 0;
        });

        var clock = Stopwatch.StartNew();
        var kernel = KernelPeer.Start(lab, "connect-stream", "--host", address.ToString(), "--port", "9001", "--send", Invariant(TwoFiftySixMiB));
        var result = KernelPeer.Result(kernel, TransferTimeout);
        stack.WaitUntil((_, _) => peer is { Done: true }, TimeSpan.FromSeconds(30), $"the stack to finish ({peer})");
        Measurements.Report("tcp kernel->stack+stack->kernel 256 MiB each way (kernel connects)", $"{2 * TwoFiftySixMiB * 8 / clock.Elapsed.TotalSeconds / 1e9:F2} Gbit/s total");

        AssertExchange(stack, peer!, result);
    }

    [Fact]
    public void Hundred_concurrent_kernel_connections_are_each_echoed_by_a_stack_listener()
    {
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        var apps = new LoopApps();
        using var stack = new StackHarness(lab, StackHarness.ServerDefaults(), onPoll: apps.Poll);
        var address = stack.WaitForAddress(TimeSpan.FromSeconds(10)).Address;
        int accepted = 0;
        stack.Invoke((s, _) =>
        {
            var listener = s.ListenTcp(7007, backlog: 128);
            var echoes = new List<EchoConnection>();
            apps.Add((_, _) =>
            {
                while (listener.TryAccept(out var socket))
                {
                    echoes.Add(new EchoConnection(socket));
                    accepted++;
                }
                echoes.RemoveAll(e => !e.Pump());
            });
            return 0;
        });

        var kernel = KernelPeer.Start(lab, "connect-many", "--host", address.ToString(), "--port", "7007", "--count", "100", "--send", "65536");
        var result = KernelPeer.Result(kernel, TimeSpan.FromSeconds(60));
        Assert.Equal(100, result.GetProperty("open_at_once").GetInt32());
        Assert.Equal(100, result.GetProperty("ok").GetInt32());
        Assert.Equal(100, stack.Invoke((_, _) => accepted));
    }

    [Fact]
    public void Kernel_client_half_closes_and_still_reads_the_stacks_answer()
    {
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        var apps = new LoopApps();
        using var stack = new StackHarness(lab, StackHarness.ServerDefaults(), onPoll: apps.Poll);
        var address = stack.WaitForAddress(TimeSpan.FromSeconds(10)).Address;
        stack.Invoke((s, _) =>
        {
            var listener = s.ListenTcp(7008);
            var connections = new List<AnswerAfterEof>();
            apps.Add((_, _) =>
            {
                while (listener.TryAccept(out var socket))
                {
                    connections.Add(new AnswerAfterEof(socket));
                }
                connections.RemoveAll(c => !c.Pump());
            });
            return 0;
        });

        // socat sends stdin, then shuts down its write side at EOF (our FIN arrives), and keeps reading until ours.
        var result = lab.RunKernel("bash", "-c", $"printf 'half closed' | socat -t 5 - TCP4:{address}:7008").EnsureSuccess();
        Assert.Equal("got 11 bytes: HALF CLOSED", result.Stdout);
    }

    [Fact]
    public void Stack_half_closes_and_still_reads_the_kernels_answer()
    {
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        var apps = new LoopApps();
        using var stack = new StackHarness(lab, StackHarness.ServerDefaults(), onPoll: apps.Poll);
        stack.WaitForAddress(TimeSpan.FromSeconds(10));
        var kernel = KernelPeer.Serve(lab, "serve-reply-after-eof", 9002);

        var socket = stack.Invoke((s, now) => s.ConnectTcp(new Ipv4Endpoint(LabNetwork.KernelAddress, 9002), now));
        stack.WaitUntil((_, _) => socket.State == TcpState.Established, TimeSpan.FromSeconds(5), "the connection");
        stack.Invoke((_, _) =>
        {
            Assert.Equal(5, socket.Send("hello"u8));
            socket.Shutdown();
            return 0;
        });
        var answer = new List<byte>();
        var buffer = new byte[4096];
        stack.WaitUntil((_, _) =>
        {
            int n;
            while ((n = socket.Receive(buffer)) > 0)
            {
                answer.AddRange(buffer.AsSpan(0, n).ToArray());
            }
            return socket.IsReceiveFinished;
        }, TimeSpan.FromSeconds(10), "the kernel's answer and FIN");
        Assert.Equal("got 5 bytes: HELLO", System.Text.Encoding.ASCII.GetString([.. answer]));
        Assert.Equal(5, KernelPeer.Result(kernel, TimeSpan.FromSeconds(5)).GetProperty("received").GetInt32());
        stack.WaitUntil((_, _) => socket.State is TcpState.TimeWait or TcpState.Closed, TimeSpan.FromSeconds(5), "TIME-WAIT");
        Assert.Equal(TcpError.None, stack.Invoke((_, _) => socket.Error));
    }

    [Fact]
    public void Connecting_to_a_closed_kernel_port_is_refused_by_its_reset()
    {
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var stack = new StackHarness(lab, StackHarness.ServerDefaults());
        stack.WaitForAddress(TimeSpan.FromSeconds(10));
        var socket = stack.Invoke((s, now) => s.ConnectTcp(new Ipv4Endpoint(LabNetwork.KernelAddress, 9999), now));
        stack.WaitUntil((_, _) => socket.State == TcpState.Closed, TimeSpan.FromSeconds(5), "the refusal");
        Assert.Equal(TcpError.ConnectionRefused, stack.Invoke((_, _) => socket.Error));
        Assert.True(stack.Invoke((s, _) => s.Counters.TcpResetsReceived) >= 1);
    }

    [Fact]
    public void Abort_resets_the_kernel_peer()
    {
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        var apps = new LoopApps();
        using var stack = new StackHarness(lab, StackHarness.ServerDefaults(), onPoll: apps.Poll);
        var address = stack.WaitForAddress(TimeSpan.FromSeconds(10)).Address;
        TcpSocket? accepted = null;
        stack.Invoke((s, _) =>
        {
            var listener = s.ListenTcp(7009);
            apps.Add((_, _) =>
            {
                if (accepted is null && listener.TryAccept(out var socket))
                {
                    accepted = socket;
                }
            });
            return 0;
        });
        var kernel = KernelPeer.Start(lab, "connect-hold", "--host", address.ToString(), "--port", "7009", "--timeout", "10");
        Assert.True(kernel.WaitForOutput("connected", TimeSpan.FromSeconds(5)), kernel.Output);
        stack.WaitUntil((_, _) => accepted is not null, TimeSpan.FromSeconds(5), "the accept");
        stack.Invoke((_, _) =>
        {
            accepted!.Abort();
            return 0;
        });
        var result = KernelPeer.Result(kernel, TimeSpan.FromSeconds(10));
        Assert.Equal("reset", result.GetProperty("outcome").GetString());
        Assert.Contains("Connection reset", result.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True(stack.Invoke((s, _) => s.Counters.TcpResetsSent) >= 1);
    }

    [Fact]
    public void Keepalive_probes_are_on_the_wire_and_answered_by_the_kernel()
    {
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var stack = new StackHarness(lab, StackHarness.ServerDefaults());
        stack.WaitForAddress(TimeSpan.FromSeconds(10));
        string file = Path.Combine(lab.StateDirectory, "keepalive.pcap");
        var tcpdump = lab.Start(lab.KernelNamespace, "tcpdump", "tcpdump", "-i", LabNetwork.KernelInterface, "-U", "-w", file, "tcp port 9003");
        Assert.True(tcpdump.WaitForOutput("listening on", TimeSpan.FromSeconds(10)), tcpdump.Output);
        // -u: only TCP -> /dev/null. Bidirectional, socat would read EOF from /dev/null at once, half-close (a FIN right
        // after the handshake, so the stack may already be in CLOSE-WAIT when first looked at) and exit 0.5 s later:
        // the connection would not be idle and open, which is what keepalives are for.
        var socat = lab.Start(lab.KernelNamespace, "socat-sink", "socat", "-d", "-d", "-u", "TCP4-LISTEN:9003,reuseaddr", "OPEN:/dev/null");
        Assert.True(socat.WaitForOutput("listening on", TimeSpan.FromSeconds(10)), socat.Output);

        var options = new TcpSocketOptions
        {
            KeepAlive = true,
            KeepAliveIdle = TimeSpan.FromMilliseconds(500),
            KeepAliveInterval = TimeSpan.FromMilliseconds(500),
            KeepAliveCount = 5,
        };
        var socket = stack.Invoke((s, now) => s.ConnectTcp(new Ipv4Endpoint(LabNetwork.KernelAddress, 9003), now, options));
        stack.WaitUntil((_, _) => socket.State == TcpState.Established, TimeSpan.FromSeconds(5), "the connection");
        // Idle 0.5 s, then a probe every idle period (each answered): within 3 s at least 3 probes and 3 answers.
        string filter = "tcp.analysis.keep_alive";
        var deadline = Stopwatch.StartNew();
        int probes = 0;
        int answers = 0;
        // Wait for both: the third answer reaches the capture file a moment after the third probe.
        while (deadline.Elapsed < TimeSpan.FromSeconds(10)
            && ((probes = Count(lab, file, filter)) < 3 || (answers = Count(lab, file, "tcp.analysis.keep_alive_ack")) < 3))
        {
            Thread.Sleep(200); // polling the capture file; the probes come on the stack's timers
        }
        Assert.True(probes >= 3, $"{probes} keep-alive probes seen");
        Assert.True(answers >= 3, $"{answers} keep-alive answers seen for {probes} probes");
        Assert.Equal(TcpState.Established, stack.Invoke((_, _) => socket.State));
    }

    [Fact]
    public void Curl_reads_and_writes_through_the_demo_http_server()
    {
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        var http = new Mip.Server.Demo.HttpDemoServer(new Mip.Server.Demo.HttpDemoOptions { Port = 80 },
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Mip.Server.Demo.HttpDemoServer>.Instance);
        using var stack = new StackHarness(lab, StackHarness.ServerDefaults(), onPoll: http.Poll);
        var address = stack.WaitForAddress(TimeSpan.FromSeconds(10)).Address;

        var page = lab.RunKernel("curl", "-sS", "--max-time", "10", $"http://{address}/").EnsureSuccess().Stdout;
        Assert.Contains(stack.Options.Mac.ToString(), page, StringComparison.Ordinal);

        const long N = 100L << 20;
        // The kernel hashes what curl downloaded; the expected digest is that of i mod 251.
        var download = lab.RunKernel("bash", "-c", $"curl -sS --max-time 60 http://{address}/bytes/{N} | sha256sum").EnsureSuccess().Stdout;
        Assert.StartsWith(PatternSha256(N), download, StringComparison.Ordinal);

        string upload = Path.Combine(lab.StateDirectory, "upload.bin");
        var bytes = new byte[32 << 20];
        new Random(3).NextBytes(bytes);
        File.WriteAllBytes(upload, bytes);
        // curl sends Expect: 100-continue for a body this large and waits for our 100 before sending it.
        var sink = lab.RunKernel("curl", "-sS", "--max-time", "60", "--data-binary", "@" + upload, $"http://{address}/sink").EnsureSuccess().Stdout;
        Assert.Contains($"\"length\":{bytes.Length},\"sha256\":\"{Convert.ToHexStringLower(SHA256.HashData(bytes))}\"", sink, StringComparison.Ordinal);
    }

    private static string PatternSha256(long n)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var block = new byte[251 * 1024];
        for (int i = 0; i < block.Length; i++)
        {
            block[i] = (byte)(i % 251);
        }
        for (long done = 0; done < n;)
        {
            int take = (int)Math.Min(block.Length, n - done);
            h.AppendData(block, 0, take);
            done += take;
        }
        return Convert.ToHexStringLower(h.GetCurrentHash());
    }

    internal static int Count(LabNetwork lab, string file, string filter) =>
        lab.RunKernel("tshark", "-r", file, "-Y", filter).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    private static void AssertExchange(StackHarness stack, TcpStreamPeer peer, System.Text.Json.JsonElement kernel)
    {
        var (sent, received, sentSha, receivedSha) = stack.Invoke((_, _) => (peer.Sent, peer.Received, peer.SentSha256, peer.ReceivedSha256));
        Assert.Equal(TwoFiftySixMiB, sent);
        Assert.Equal(TwoFiftySixMiB, received);
        Assert.Equal(TwoFiftySixMiB, kernel.GetProperty("received").GetInt64());
        Assert.Equal(TwoFiftySixMiB, kernel.GetProperty("sent").GetInt64());
        Assert.Equal(sentSha, kernel.GetProperty("received_sha256").GetString());
        Assert.Equal(kernel.GetProperty("sent_sha256").GetString(), receivedSha);
    }

    private static string Invariant(long n) => n.ToString(CultureInfo.InvariantCulture);
}
