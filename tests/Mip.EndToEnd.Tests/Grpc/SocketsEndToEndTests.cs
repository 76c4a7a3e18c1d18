using System.Diagnostics;
using System.Text;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Mip.Client;
using Mip.EndToEnd.Tests.Lab;
using Mip.EndToEnd.Tests.Tcp;
using Mip.Grpc.V1;

namespace Mip.EndToEnd.Tests.Grpc;

/// <summary>UdpService, CaptureService, authentication and socket cleanup against the real server.</summary>
public sealed class SocketsEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_udp_socket_echoes_through_kernel_socat_and_is_listed_until_the_call_ends()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq(addresses: new Dictionary<string, string> { ["echo.lab"] = "192.168.2.1" });
        var socat = lab.Start(lab.KernelNamespace, "socat-echo", "socat", "-d", "-d", "UDP4-RECVFROM:7000,bind=192.168.2.1,reuseaddr,fork", "PIPE");
        Assert.True(socat.WaitForOutput("receiving on", Timeout), socat.Output);
        using var server = new MipServerProcess(lab);
        Assert.True(server.WaitForOutput("READY, IP:", Timeout), server.Output);
        var udp = new UdpService.UdpServiceClient(server.Channel);
        var stack = new StackService.StackServiceClient(server.Channel);

        using (var call = udp.Open(cancellationToken: Ct))
        {
            await call.RequestStream.WriteAsync(new OpenRequest { Bind = new UdpBind { Port = 0 } }, Ct);
            Assert.True(await call.ResponseStream.MoveNext(Ct));
            var bound = call.ResponseStream.Current.Bound;
            Assert.InRange(bound.Local.Port, 49152u, 65535u);
            for (int i = 0; i < 5; i++)
            {
                // The remote by name: the server resolves it through the stack.
                var payload = ByteString.CopyFromUtf8($"datagram {i} through the stack");
                await call.RequestStream.WriteAsync(new OpenRequest { Datagram = new Datagram { Remote = new Endpoint { Address = "echo.lab", Port = 7000 }, Payload = payload } }, Ct);
                Assert.True(await call.ResponseStream.MoveNext(Ct));
                var echoed = call.ResponseStream.Current.Datagram;
                Assert.Equal(payload, echoed.Payload);
                Assert.Equal("192.168.2.1", echoed.Remote.Address);
                Assert.Equal(7000u, echoed.Remote.Port);
            }
            var listed = Assert.Single((await stack.ListSocketsAsync(new ListSocketsRequest(), cancellationToken: Ct)).Sockets);
            Assert.Equal(bound.SocketId, listed.Id);
            Assert.Equal(SocketProtocol.Udp, listed.Protocol);
            Assert.Equal(bound.Local.Port, listed.Local.Port);
            ulong sent = (ulong)Enumerable.Range(0, 5).Sum(i => $"datagram {i} through the stack".Length);
            Assert.Equal(sent, listed.BytesSent);
            Assert.Equal(sent, listed.BytesReceived);
            Assert.StartsWith("ipv4:127.0.0.1:", listed.Owner, StringComparison.Ordinal);

            // A second socket on the same port is refused with a reason.
            using var clash = udp.Open(cancellationToken: Ct);
            await clash.RequestStream.WriteAsync(new OpenRequest { Bind = new UdpBind { Port = bound.Local.Port } }, Ct);
            var ex = await Assert.ThrowsAsync<RpcException>(() => clash.ResponseStream.MoveNext(Ct));
            Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
            Assert.Equal("ADDRESS_IN_USE", ex.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
            await call.RequestStream.CompleteAsync();
            Assert.False(await call.ResponseStream.MoveNext(Ct));
        }
        Assert.Empty((await stack.ListSocketsAsync(new ListSocketsRequest(), cancellationToken: Ct)).Sockets);
    }

    [Fact]
    public async Task A_udp_socket_with_the_broadcast_flag_reaches_the_kernel_by_broadcast_and_one_without_is_refused()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        // A kernel receiver on the wildcard address: it gets the datagrams only if they went to the broadcast MAC and
        // a broadcast IP (the stack has no ARP entry to resolve 192.168.2.255 with).
        var receiver = lab.Start(lab.KernelNamespace, "udp-receiver", "python3", "-c",
            "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('0.0.0.0',7100));print('listening',flush=True)\n" +
            "for _ in range(2):\n d,a=s.recvfrom(2048);print('got',d.decode(),'from',a[0],flush=True)");
        Assert.True(receiver.WaitForOutput("listening", Timeout), receiver.Output);
        using var server = new MipServerProcess(lab);
        Assert.True(server.WaitForOutput("READY, IP:", Timeout), server.Output);
        string stackAddress = server.Output.Split('\n').First(l => l.StartsWith("READY, IP:", StringComparison.Ordinal))["READY, IP:".Length..].Trim();
        var udp = new UdpService.UdpServiceClient(server.Channel);

        using (var call = udp.Open(cancellationToken: Ct))
        {
            await call.RequestStream.WriteAsync(new OpenRequest { Bind = new UdpBind { Broadcast = true } }, Ct);
            Assert.True(await call.ResponseStream.MoveNext(Ct));
            foreach (string to in (string[])["192.168.2.255", "255.255.255.255"])
            {
                await call.RequestStream.WriteAsync(new OpenRequest { Datagram = new Datagram { Remote = new Endpoint { Address = to, Port = 7100 }, Payload = ByteString.CopyFromUtf8("to-" + to) } }, Ct);
            }
            Assert.True(receiver.WaitForExit(Timeout), receiver.Output);
            Assert.Contains($"got to-192.168.2.255 from {stackAddress}", receiver.Output, StringComparison.Ordinal);
            Assert.Contains($"got to-255.255.255.255 from {stackAddress}", receiver.Output, StringComparison.Ordinal);
            await call.RequestStream.CompleteAsync();
            Assert.False(await call.ResponseStream.MoveNext(Ct));
        }

        // Without the flag a broadcast destination is refused, like a kernel socket without SO_BROADCAST (EACCES).
        using var refused = udp.Open(cancellationToken: Ct);
        await refused.RequestStream.WriteAsync(new OpenRequest { Bind = new UdpBind() }, Ct);
        Assert.True(await refused.ResponseStream.MoveNext(Ct));
        await refused.RequestStream.WriteAsync(new OpenRequest { Datagram = new Datagram { Remote = new Endpoint { Address = "192.168.2.255", Port = 7100 }, Payload = ByteString.CopyFromUtf8("no") } }, Ct);
        var ex = await Assert.ThrowsAsync<RpcException>(() => refused.ResponseStream.MoveNext(Ct));
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal("BROADCAST_NOT_PERMITTED", ex.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
    }

    [Fact]
    public async Task A_client_that_goes_silent_without_closing_loses_its_sockets_after_the_keepalive()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var echo = KernelPeer.Serve(lab, "serve-echo", 7600);
        using var server = new MipServerProcess(lab, null, "--client-keepalive-seconds", "1");
        Assert.True(server.WaitForOutput("READY, IP:", Timeout), server.Output);
        var stack = new StackService.StackServiceClient(server.Channel);

        // The client reaches the server through a relay that can freeze: the client's host "vanishes" without a FIN.
        using var proxy = new FreezableProxy(server.GrpcPort);
        using var client = new MipClient($"http://127.0.0.1:{proxy.Port}");
        await using var udp = await client.OpenUdpAsync(cancellationToken: Ct);
        await using var tcp = await client.ConnectAsync("192.168.2.1", 7600, cancellationToken: Ct);
        await tcp.WriteAsync("still here"u8.ToArray(), Ct);
        var buffer = new byte[16];
        Assert.Equal(10, await tcp.ReadAsync(buffer, Ct));
        Assert.Equal(2, (await stack.ListSocketsAsync(new ListSocketsRequest(), cancellationToken: Ct)).Sockets.Count);

        proxy.Freeze();
        // Kestrel pings after 1 s of silence and gives up 1 s later; the calls end and free their sockets.
        var freed = Stopwatch.StartNew();
        while ((await stack.ListSocketsAsync(new ListSocketsRequest(), cancellationToken: Ct)).Sockets.Count > 0)
        {
            Assert.True(freed.Elapsed < TimeSpan.FromSeconds(6), "the silent client's sockets are still open after 6 s");
            await Task.Delay(50, Ct);
        }
        Assert.True(freed.Elapsed > TimeSpan.FromSeconds(0.5), $"freed after {freed.Elapsed}: before the keepalive could have fired?");
        // The kernel peer saw the connection reset, not a graceful close.
        Assert.True(echo.WaitForExit(Timeout), echo.Output);
        Assert.Contains("Connection reset", echo.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task At_SIGTERM_calls_holding_sockets_or_a_capture_end_at_once_and_say_why()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        using var echo = KernelPeer.Serve(lab, "serve-echo", 7700);
        using var server = new MipServerProcess(lab, null, "--ip", "192.168.2.7/24");
        Assert.True(server.WaitForOutput("READY, IP:", Timeout), server.Output);
        using var client = new MipClient($"http://127.0.0.1:{server.GrpcPort}");
        await using var udp = await client.OpenUdpAsync(cancellationToken: Ct);
        await using var tcp = await client.ConnectAsync("192.168.2.1", 7700, cancellationToken: Ct);
        await using var listener = await client.ListenAsync(8080, cancellationToken: Ct);
        using var capture = client.Capture.Capture(new CaptureRequest(), cancellationToken: Ct);
        Assert.True(await capture.ResponseStream.MoveNext(Ct)); // the pcapng header: the capture runs

        // Reads in flight, as an application has them (a read issued only after the server process is gone finds
        // the HTTP/2 connection closed under a call whose request side was still open, whatever the status said).
        var tcpRead = tcp.ReadAsync(new byte[1], Ct).AsTask();
        var udpRead = udp.ReceiveFromAsync(Ct).AsTask();
        var accept = listener.AcceptAsync(Ct);

        // Kestrel waits for every call in flight before the host stops; calls that wait for socket data used to hold
        // the exit for its whole shutdown timeout (30 s).
        var clock = Stopwatch.StartNew();
        Assert.True(server.Terminate(TimeSpan.FromSeconds(10)), server.Output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"exit took {clock.Elapsed}");

        foreach (var (what, read) in (ValueTuple<string, Task>[])[("tcp", tcpRead), ("udp", udpRead), ("listener", accept)])
        {
            var ex = await Assert.ThrowsAsync<MipSocketException>(() => read);
            Assert.True(ex.Reason == "SOCKET_CLOSED", $"{what}: {ex}");
            Assert.Contains("the server is shutting down", ex.Message, StringComparison.Ordinal);
        }
        // The capture ends normally: what a pipe into tshark needs.
        while (await capture.ResponseStream.MoveNext(Ct))
        {
        }
        Assert.True(echo.WaitForExit(Timeout), echo.Output);
        Assert.Contains("Connection reset", echo.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_killed_client_frees_its_socket_within_a_second_and_CloseSocket_ends_a_call()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var server = new MipServerProcess(lab);
        Assert.True(server.WaitForOutput("READY, IP:", Timeout), server.Output);
        var stack = new StackService.StackServiceClient(server.Channel);

        // Another process (buf curl) opens a UDP socket and keeps its stream open; then it is killed with SIGKILL.
        using var client = BufCurl.Start(server.GrpcPort, "mip.v1.UdpService/Open");
        await client.StandardInput.WriteLineAsync("""{"bind": {"port": 5353}}""");
        await client.StandardInput.FlushAsync(Ct);
        SocketInfo? held = null;
        for (var wait = Stopwatch.StartNew(); held is null && wait.Elapsed < Timeout; await Task.Delay(50, Ct))
        {
            held = (await stack.ListSocketsAsync(new ListSocketsRequest(), cancellationToken: Ct)).Sockets.SingleOrDefault();
        }
        Assert.NotNull(held);
        Assert.Equal(5353u, held.Local.Port);
        Assert.Equal(1, await OpenSocketsMetric(server));

        client.Kill();
        var freed = Stopwatch.StartNew();
        while ((await stack.ListSocketsAsync(new ListSocketsRequest(), cancellationToken: Ct)).Sockets.Count > 0)
        {
            Assert.True(freed.Elapsed < TimeSpan.FromSeconds(1), "the killed client's socket is still open after 1 s");
            await Task.Delay(20, Ct);
        }
        // The metrics snapshot follows within its period.
        await Task.Delay(400, Ct);
        Assert.Equal(0, await OpenSocketsMetric(server));

        // CloseSocket from an operator ends the owning call with Aborted / SOCKET_CLOSED.
        var udp = new UdpService.UdpServiceClient(server.Channel);
        using var call = udp.Open(cancellationToken: Ct);
        await call.RequestStream.WriteAsync(new OpenRequest { Bind = new UdpBind { Port = 5353 } }, Ct);
        Assert.True(await call.ResponseStream.MoveNext(Ct));
        await stack.CloseSocketAsync(new CloseSocketRequest { Id = call.ResponseStream.Current.Bound.SocketId }, cancellationToken: Ct);
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(Ct));
        Assert.Equal(StatusCode.Aborted, ex.StatusCode);
        Assert.Equal("SOCKET_CLOSED", ex.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        var missing = await Assert.ThrowsAsync<RpcException>(() => stack.CloseSocketAsync(new CloseSocketRequest { Id = "udp-999" }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Capture_streams_pcapng_that_tshark_reads_with_directions_and_filters()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var server = new MipServerProcess(lab);
        var line = server.WaitForOutput("READY, IP:", Timeout) ? server.Output.Split('\n').First(l => l.StartsWith("READY, IP:", StringComparison.Ordinal)) : throw new TimeoutException(server.Output);
        string address = line["READY, IP:".Length..].Trim();
        var capture = new CaptureService.CaptureServiceClient(server.Channel);

        using var call = capture.Capture(new CaptureRequest { Protocol = "icmp", MaxFrames = 6 }, cancellationToken: Ct);
        Assert.True(await call.ResponseStream.MoveNext(Ct)); // SHB + IDB: the capture is attached once this arrives
        var pcapng = new MemoryStream();
        call.ResponseStream.Current.Pcapng.WriteTo(pcapng);
        lab.RunKernel("ping", "-c", "3", "-i", "0.2", address).EnsureSuccess();
        await foreach (var chunk in call.ResponseStream.ReadAllAsync(Ct))
        {
            chunk.Pcapng.WriteTo(pcapng);
        }

        string file = Path.Combine(lab.StateDirectory, "grpc-capture.pcapng");
        await File.WriteAllBytesAsync(file, pcapng.ToArray(), Ct);
        var result = lab.RunKernel("tshark", "-r", file, "-T", "fields", "-e", "icmp.type", "-e", "frame.p2p_dir", "-e", "ip.src").EnsureSuccess();
        var rows = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(r => r.Split('\t')).ToList();
        Assert.Equal(6, rows.Count);
        // Three requests in (type 8, inbound = 1) and three replies out (type 0, outbound = 0), no ARP, no DHCP.
        Assert.Equal(3, rows.Count(r => r[0] == "8" && r[1] == "1" && r[2] == "192.168.2.1"));
        Assert.Equal(3, rows.Count(r => r[0] == "0" && r[1] == "0" && r[2] == address));
        // The stream as a client would pipe it (`mipctl capture | tshark -r -`).
        var piped = lab.RunKernel("bash", "-c", $"cat {file} | tshark -r - -T fields -e frame.number").EnsureSuccess();
        Assert.Equal("1 2 3 4 5 6", string.Join(' ', piped.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public async Task A_token_protected_server_rejects_missing_and_wrong_tokens_but_not_health_checks()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        using var server = new MipServerProcess(lab, token: "s3cret");
        var stack = new StackService.StackServiceClient(server.Channel);

        var missing = await Assert.ThrowsAsync<RpcException>(() => stack.GetStatusAsync(new GetStatusRequest(), cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, missing.StatusCode);
        Assert.Equal("TOKEN_MISSING", missing.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        var wrong = await Assert.ThrowsAsync<RpcException>(() => stack.GetStatusAsync(new GetStatusRequest(), MipServerProcess.Bearer("guess"), cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);
        Assert.Equal("TOKEN_INVALID", wrong.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        var status = await stack.GetStatusAsync(new GetStatusRequest(), MipServerProcess.Bearer("s3cret"), cancellationToken: Ct);
        Assert.Equal("my0", status.Interface.Name);

        var health = new global::Grpc.Health.V1.Health.HealthClient(server.Channel);
        var serving = await health.CheckAsync(new global::Grpc.Health.V1.HealthCheckRequest(), cancellationToken: Ct);
        Assert.Equal(global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, serving.Status);
    }

    private static async Task<double> OpenSocketsMetric(MipServerProcess server)
    {
        using var http = new HttpClient();
        string text = await http.GetStringAsync($"http://127.0.0.1:{server.MetricsPort}/metrics", Ct);
        var line = text.Split('\n').Single(l => l.StartsWith("mip_grpc_sockets_open{", StringComparison.Ordinal) && l.Contains("protocol=\"udp\"", StringComparison.Ordinal));
        return double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
