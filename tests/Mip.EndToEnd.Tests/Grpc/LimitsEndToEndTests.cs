using System.Diagnostics;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Mip.EndToEnd.Tests.Lab;
using Mip.EndToEnd.Tests.Tcp;
using Mip.Grpc.V1;

namespace Mip.EndToEnd.Tests.Grpc;

/// <summary>
/// The server's limits and call lifetimes against the real process: the per-client socket limit, deadlines and
/// cancellation aborting connections, the message size limit, reflection and health.
/// </summary>
public sealed class LimitsEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private const string Kernel = "192.168.2.1";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_client_at_its_socket_limit_is_refused_Connect_Open_and_Listen_and_its_listener_resets_new_connections()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var server = new MipServerProcess(lab, null, "--max-sockets-per-client", "2");
        Assert.True(server.WaitForOutput("READY, IP:", Timeout), server.Output);
        string stackAddress = server.Output.Split('\n').First(l => l.StartsWith("READY, IP:", StringComparison.Ordinal))["READY, IP:".Length..].Trim();
        var tcp = new TcpService.TcpServiceClient(server.Channel);
        var udp = new UdpService.UdpServiceClient(server.Channel);
        var stack = new StackService.StackServiceClient(server.Channel);

        // Socket 1: a listener on an ephemeral port reports the port it got.
        using var listen = tcp.Listen(new ListenRequest { Port = 0 }, cancellationToken: Ct);
        Assert.True(await listen.ResponseStream.MoveNext(Ct));
        var local = listen.ResponseStream.Current.Listening.Local;
        Assert.Equal(stackAddress, local.Address);
        Assert.InRange(local.Port, 1024u, 65535u);
        var listed = Assert.Single((await stack.ListSocketsAsync(new ListSocketsRequest(), cancellationToken: Ct)).Sockets);
        Assert.Equal((SocketProtocol.TcpListener, local.Port), (listed.Protocol, listed.Local.Port));

        // Socket 2: a UDP socket. The client is now at its limit of 2.
        var held = udp.Open(cancellationToken: Ct);
        await OpenUdpAsync(held);

        var connect = await FailureAsync(async () =>
        {
            using var call = tcp.Connect(cancellationToken: Ct);
            await call.RequestStream.WriteAsync(new ConnectRequest { Open = new ConnectOpen { Host = Kernel, Port = 9 } }, Ct);
            await call.ResponseStream.MoveNext(Ct);
        });
        var open = await FailureAsync(async () =>
        {
            using var call = udp.Open(cancellationToken: Ct);
            await OpenUdpAsync(call);
        });
        var secondListener = await FailureAsync(async () =>
        {
            using var call = tcp.Listen(new ListenRequest { Port = 0 }, cancellationToken: Ct);
            await call.ResponseStream.MoveNext(Ct);
        });
        Assert.All([connect, open, secondListener], f => Assert.Equal((StatusCode.ResourceExhausted, "TOO_MANY_SOCKETS"), f));

        // The stack accepts a kernel client's handshake, but the owner may not hold another socket: RST.
        var refused = ConnectFromKernel(lab, stackAddress, local.Port);
        Assert.True(refused.WaitForExit(Timeout), refused.Output);
        Assert.Contains("reset", refused.Output, StringComparison.Ordinal);
        Assert.Equal(2, (await stack.ListSocketsAsync(new ListSocketsRequest(), cancellationToken: Ct)).Sockets.Count);
        using (var http = new HttpClient())
        {
            string metrics = await http.GetStringAsync($"http://127.0.0.1:{server.MetricsPort}/metrics", Ct);
            Assert.Matches(@"(?m)^mip_grpc_listener_refused_total(\{[^}]*\})? 1( |$)", metrics);
        }

        // Closing a socket makes room again: a UDP socket opens, and once it closes the listener accepts.
        await held.RequestStream.CompleteAsync();
        Assert.False(await held.ResponseStream.MoveNext(Ct));
        held.Dispose();
        using (var again = udp.Open(cancellationToken: Ct))
        {
            await OpenUdpAsync(again);
            await again.RequestStream.CompleteAsync();
            Assert.False(await again.ResponseStream.MoveNext(Ct));
        }
        var accepted = ConnectFromKernel(lab, stackAddress, local.Port);
        Assert.True(await listen.ResponseStream.MoveNext(Ct), accepted.Output);
        Assert.Equal(Kernel, listen.ResponseStream.Current.Accepted.Remote.Address);
    }

    [Fact]
    public async Task A_deadline_or_a_cancel_mid_transfer_resets_the_connection_and_frees_the_socket()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var server = TcpServiceEndToEndTests.StartServer(lab);
        var tcp = new TcpService.TcpServiceClient(server.Channel);
        var stack = new StackService.StackServiceClient(server.Channel);

        // Deadline: the call is reading a transfer that would take far longer when the deadline passes.
        var deadlinePeer = KernelPeer.Serve(lab, "serve-stream", 9500, "--send", $"{1L << 34}");
        var sw = Stopwatch.StartNew();
        var deadlined = await Assert.ThrowsAsync<RpcException>(() =>
            ReadUntilEndAsync(tcp.Connect(deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: Ct), 9500, onData: null));
        Assert.Equal(StatusCode.DeadlineExceeded, deadlined.StatusCode);
        Assert.InRange(sw.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(10));
        await WaitForNoSocketsAsync(stack);
        Assert.True(deadlinePeer.WaitForExit(Timeout), deadlinePeer.Output);
        Assert.Contains("Connection reset by peer", deadlinePeer.Output, StringComparison.Ordinal);

        // Cancel: after the first megabyte.
        var cancelPeer = KernelPeer.Serve(lab, "serve-stream", 9501, "--send", $"{1L << 34}");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        long received = 0;
        var cancelled = await Assert.ThrowsAsync<RpcException>(() => ReadUntilEndAsync(tcp.Connect(cancellationToken: cts.Token), 9501, n =>
        {
            if ((received += n) > 1 << 20)
            {
                cts.Cancel();
            }
        }));
        Assert.Equal(StatusCode.Cancelled, cancelled.StatusCode);
        await WaitForNoSocketsAsync(stack);
        Assert.True(cancelPeer.WaitForExit(Timeout), cancelPeer.Output);
        Assert.Contains("Connection reset by peer", cancelPeer.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reflection_lists_the_services_health_says_serving_and_an_oversize_message_is_ResourceExhausted()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var server = new MipServerProcess(lab, null, "--max-message-bytes", "100000");
        Assert.True(server.WaitForOutput("READY, IP:", Timeout), server.Output);

        // Reflection: buf curl needs no proto files to list what the server offers.
        string root = MipServerProcess.RepositoryRoot;
        string buf = Path.Combine(root, "node_modules/@bufbuild/buf-linux-x64/bin/buf");
        var listed = LabNetwork.Execute(buf, ["curl", "--http2-prior-knowledge", "--protocol", "grpc", "--list-methods", $"http://127.0.0.1:{server.GrpcPort}"], Timeout);
        Assert.True(listed.ExitCode == 0, listed.Stdout + listed.Stderr);
        var methods = listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var method in (string[])["mip.v1.StackService/GetStatus", "mip.v1.StackService/WatchEvents", "mip.v1.TcpService/Connect",
                     "mip.v1.TcpService/Attach", "mip.v1.UdpService/Open", "mip.v1.CaptureService/Capture", "grpc.health.v1.Health/Check"])
        {
            Assert.Contains(method, methods);
        }
        // A call by reflection alone, through the real protocol.
        var status = LabNetwork.Execute(buf, ["curl", "--http2-prior-knowledge", "--protocol", "grpc", $"http://127.0.0.1:{server.GrpcPort}/mip.v1.StackService/GetStatus"], Timeout);
        Assert.True(status.ExitCode == 0, status.Stdout + status.Stderr);
        Assert.Contains("\"name\": \"my0\"", status.Stdout, StringComparison.Ordinal);

        var health = new global::Grpc.Health.V1.Health.HealthClient(server.Channel);
        var serving = await health.CheckAsync(new global::Grpc.Health.V1.HealthCheckRequest(), cancellationToken: Ct);
        Assert.Equal(global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, serving.Status);

        // A 200 kB TCP write is over the 100 kB limit: the call fails, the server keeps serving.
        var echo = lab.Start(lab.KernelNamespace, "socat-echo", "socat", "-d", "-d", "TCP4-LISTEN:7400,bind=192.168.2.1,reuseaddr,fork", "PIPE");
        Assert.True(echo.WaitForOutput("listening on", Timeout), echo.Output);
        var tcp = new TcpService.TcpServiceClient(server.Channel);
        var stack = new StackService.StackServiceClient(server.Channel);
        var tooBig = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = tcp.Connect(cancellationToken: Ct);
            await call.RequestStream.WriteAsync(new ConnectRequest { Open = new ConnectOpen { Host = Kernel, Port = 7400 } }, Ct);
            Assert.True(await call.ResponseStream.MoveNext(Ct));
            Assert.Equal(ConnectResponse.FrameOneofCase.Connected, call.ResponseStream.Current.FrameCase);
            await call.RequestStream.WriteAsync(new ConnectRequest { Data = ByteString.CopyFrom(new byte[200_000]) }, Ct);
            while (await call.ResponseStream.MoveNext(Ct))
            {
            }
        });
        Assert.Equal(StatusCode.ResourceExhausted, tooBig.StatusCode);
        await WaitForNoSocketsAsync(stack);
        // A write just under the limit goes through and comes back.
        using (var call = tcp.Connect(cancellationToken: Ct))
        {
            await call.RequestStream.WriteAsync(new ConnectRequest { Open = new ConnectOpen { Host = Kernel, Port = 7400 } }, Ct);
            Assert.True(await call.ResponseStream.MoveNext(Ct));
            await call.RequestStream.WriteAsync(new ConnectRequest { Data = ByteString.CopyFrom(new byte[90_000]) }, Ct);
            await call.RequestStream.WriteAsync(new ConnectRequest { ShutdownSend = new ShutdownSend() }, Ct);
            long echoed = 0;
            while (await call.ResponseStream.MoveNext(Ct))
            {
                echoed += call.ResponseStream.Current.Data.Length;
            }
            Assert.Equal(90_000, echoed);
        }
        Assert.Equal("my0", (await stack.GetStatusAsync(new GetStatusRequest(), cancellationToken: Ct)).Interface.Name);
    }

    private static async Task OpenUdpAsync(AsyncDuplexStreamingCall<OpenRequest, OpenResponse> call)
    {
        await call.RequestStream.WriteAsync(new OpenRequest { Bind = new UdpBind { Port = 0 } }, Ct);
        Assert.True(await call.ResponseStream.MoveNext(Ct));
        Assert.Equal(OpenResponse.FrameOneofCase.Bound, call.ResponseStream.Current.FrameCase);
    }

    private static async Task<(StatusCode, string)> FailureAsync(Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(call);
        return (ex.StatusCode, ex.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason ?? "");
    }

    /// <summary>A kernel client that connects and prints "reset", "eof" or "data" for what its first read gets.</summary>
    private static LabProcess ConnectFromKernel(LabNetwork lab, string address, uint port) =>
        lab.Start(lab.KernelNamespace, "kernel-client", "python3", "-c",
            "import socket\ns=socket.create_connection(('" + address + "'," + port + "),5);s.settimeout(5)\n" +
            "try:\n d=s.recv(1);print('eof' if d==b'' else 'data',flush=True)\nexcept ConnectionResetError:\n print('reset',flush=True)\n" +
            "except socket.timeout:\n print('timeout',flush=True)");

    private static async Task ReadUntilEndAsync(AsyncDuplexStreamingCall<ConnectRequest, ConnectResponse> call, int port, Action<int>? onData)
    {
        using (call)
        {
            await call.RequestStream.WriteAsync(new ConnectRequest { Open = new ConnectOpen { Host = Kernel, Port = (uint)port } });
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                onData?.Invoke(call.ResponseStream.Current.Data.Length);
            }
        }
    }

    private static async Task WaitForNoSocketsAsync(StackService.StackServiceClient stack)
    {
        for (var wait = Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(2); await Task.Delay(20, Ct))
        {
            if ((await stack.ListSocketsAsync(new ListSocketsRequest(), cancellationToken: Ct)).Sockets.Count == 0)
            {
                return;
            }
        }
        Assert.Fail("sockets are still listed 2 s after their calls ended");
    }
}
