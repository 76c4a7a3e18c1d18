using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using Google.Rpc;
using Grpc.Core;
using Mip.Client;
using Mip.EndToEnd.Tests.Lab;
using Mip.EndToEnd.Tests.Tcp;
using Mip.Grpc.V1;

namespace Mip.EndToEnd.Tests.Grpc;

/// <summary>TcpService through the real server and the C# client library, against kernel peers over veth.</summary>
public sealed class TcpServiceEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private const string Kernel = "192.168.2.1";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_connection_moves_64_MiB_each_way_to_a_kernel_server_with_matching_sha256()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var server = StartServer(lab);
        const int size = 64 << 20;
        var peer = KernelPeer.Serve(lab, "serve-stream", 9100, "--send", $"{size}", "--seed", "11");
        using var client = new MipClient($"http://127.0.0.1:{server.GrpcPort}");

        await using var stream = await client.ConnectAsync(Kernel, 9100, cancellationToken: Ct);
        Assert.StartsWith("tcp-", stream.SocketId, StringComparison.Ordinal);
        Assert.Equal(9100, stream.RemoteEndPoint.Port);
        var readDone = new TaskCompletionSource();
        var send = Task.Run(async () =>
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var rng = new Random(5);
            var block = new byte[48 * 1024 + 7]; // not a power of two: chunk boundaries move through the stream
            for (long left = size; left > 0;)
            {
                int n = (int)Math.Min(block.Length, left);
                rng.NextBytes(block.AsSpan(0, n));
                await stream.WriteAsync(block.AsMemory(0, n), Ct);
                sha.AppendData(block, 0, n);
                left -= n;
            }
            // Until this side half-closes, the call (and the socket) stays up: list it with its counters first.
            await readDone.Task;
            // A completed write is in the gRPC stream, not yet in the TCP send buffer: the last bytes may still be on
            // their way to the server, so wait for the counter to reach the total.
            SocketInfo listed;
            for (var wait = Stopwatch.StartNew(); ; await Task.Delay(20, Ct))
            {
                listed = (await client.Stack.ListSocketsAsync(new ListSocketsRequest(), cancellationToken: Ct)).Sockets.Single(s => s.Id == stream.SocketId);
                if (listed.BytesSent >= (ulong)size || wait.Elapsed > Timeout)
                {
                    break;
                }
            }
            Assert.Equal(SocketProtocol.Tcp, listed.Protocol);
            Assert.Equal("CloseWait", listed.State);
            Assert.Equal((ulong)size, listed.BytesReceived);
            Assert.Equal((ulong)size, listed.BytesSent);
            Assert.True(listed.SrttUs > 0, "SRTT is measured");
            await stream.ShutdownAsync(Ct);
            return Convert.ToHexStringLower(sha.GetHashAndReset());
        }, Ct);
        long received;
        string receivedSha;
        try
        {
            (received, receivedSha) = await ReadToEndAsync(stream);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException($"peer: {peer.Output}\nserver: {server.Output}", ex);
        }
        readDone.SetResult();

        string sentSha = await send;
        var result = KernelPeer.Result(peer, Timeout);
        Assert.Equal(size, received);
        Assert.Equal(result.GetProperty("sent_sha256").GetString(), receivedSha);
        Assert.Equal(size, result.GetProperty("received").GetInt64());
        Assert.Equal(sentSha, result.GetProperty("received_sha256").GetString());

        var status = await client.Stack.GetStatusAsync(new GetStatusRequest(), cancellationToken: Ct);
        Assert.True(status.Counters.TcpSegmentsSent > (ulong)(size / 65536));
        Assert.True(status.Counters.TcpSegmentsReceived > (ulong)(size / 65536));
        Assert.True(status.Counters.TcpRetransmits.ContainsKey("rto"));
    }

    [Fact]
    public async Task A_client_that_stops_reading_holds_the_sender_back_instead_of_growing_a_queue()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var server = StartServer(lab);
        const int size = 256 << 20;
        var peer = KernelPeer.Serve(lab, "serve-stream", 9150, "--send", $"{size}", "--seed", "2");
        using var client = new MipClient($"http://127.0.0.1:{server.GrpcPort}");
        await using var stream = await client.ConnectAsync(Kernel, 9150, cancellationToken: Ct);

        // Nobody reads: what the server took from the socket stops growing far below what the peer wants to send,
        // because the server stops reading the socket and the TCP receive window closes.
        async Task<ulong> TakenAsync() =>
            (await client.Stack.ListSocketsAsync(new ListSocketsRequest(), cancellationToken: Ct)).Sockets.Single(s => s.Id == stream.SocketId).BytesReceived;
        await Task.Delay(1500, Ct);
        ulong first = await TakenAsync();
        await Task.Delay(1000, Ct);
        ulong second = await TakenAsync();
        Assert.Equal(first, second);
        Assert.True(second < 16u << 20, $"{second} bytes taken from the socket while the client read nothing");

        // Reading resumes the flow, and every byte arrives intact.
        await stream.ShutdownAsync(Ct);
        var (received, sha) = await ReadToEndAsync(stream);
        var result = KernelPeer.Result(peer, Timeout);
        Assert.Equal(size, received);
        Assert.Equal(result.GetProperty("sent_sha256").GetString(), sha);
    }

    [Fact]
    public async Task A_kernel_client_reaches_a_grpc_listener_through_Listen_and_Attach_and_gets_its_bytes_echoed()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var server = StartServer(lab, out string stackAddress);
        using var client = new MipClient($"http://127.0.0.1:{server.GrpcPort}");
        await using var listener = await client.ListenAsync(7100, cancellationToken: Ct);
        Assert.Equal(7100, listener.LocalEndPoint.Port);
        Assert.Equal(stackAddress, listener.LocalEndPoint.Address.ToString());
        var listed = (await client.Stack.ListSocketsAsync(new ListSocketsRequest(), cancellationToken: Ct)).Sockets;
        Assert.Equal("Listen", Assert.Single(listed, s => s.Protocol == SocketProtocol.TcpListener).State);

        const int size = 8 << 20;
        var peer = KernelPeer.Start(lab, "connect-stream", "--host", stackAddress, "--port", "7100", "--send", $"{size}", "--seed", "3");
        await using (var connection = await listener.AcceptAsync(Ct))
        {
            Assert.Equal(Kernel, connection.RemoteEndPoint.Address.ToString());
            await connection.CopyToAsync(connection, 40_000, Ct); // echo until the peer's FIN
            await connection.ShutdownAsync(Ct);
        }
        var result = KernelPeer.Result(peer, Timeout);
        Assert.Equal(size, result.GetProperty("received").GetInt64());
        Assert.Equal(result.GetProperty("sent_sha256").GetString(), result.GetProperty("received_sha256").GetString());
    }

    [Fact]
    public async Task Refused_timed_out_invalid_and_reset_connections_end_with_their_reasons()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var server = StartServer(lab);
        using var client = new MipClient($"http://127.0.0.1:{server.GrpcPort}");
        var tcp = new TcpService.TcpServiceClient(server.Channel);

        // Refused: a closed kernel port answers RST.
        var refused = await Assert.ThrowsAsync<MipSocketException>(() => client.ConnectAsync(Kernel, 9999, timeout: TimeSpan.FromSeconds(5), cancellationToken: Ct));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        var raw = await ConnectRawAsync(tcp, new ConnectOpen { Host = Kernel, Port = 9999 });
        Assert.Equal((StatusCode.Unavailable, "CONNECTION_REFUSED"), raw);

        // Timed out: the kernel silently drops SYNs to this port.
        lab.RunKernel("nft", "add table inet mipt; add chain inet mipt in { type filter hook input priority 0; }; add rule inet mipt in tcp dport 9200 drop").EnsureSuccess();
        var timedOut = await Assert.ThrowsAsync<MipSocketException>(() => client.ConnectAsync(Kernel, 9200, timeout: TimeSpan.FromSeconds(1), cancellationToken: Ct));
        Assert.Equal(SocketError.TimedOut, timedOut.SocketErrorCode);
        Assert.Equal("TIMED_OUT", timedOut.Reason);

        // Invalid arguments: every problem at once.
        var invalid = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = tcp.Connect(cancellationToken: Ct);
            await call.RequestStream.WriteAsync(new ConnectRequest { Open = new ConnectOpen { Host = "", Port = 70000 } }, Ct);
            await call.ResponseStream.MoveNext(Ct);
        });
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        var fields = invalid.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).ToList();
        Assert.Equal(["open.host", "open.port"], fields);

        // Reset: the kernel peer accepts, reads a little and aborts with SO_LINGER 0.
        var resetter = lab.Start(lab.KernelNamespace, "resetter", "python3", "-c",
            "import socket,struct\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('0.0.0.0',9300));s.listen(1);print('listening',flush=True)\n" +
            "c,_=s.accept();c.recv(5);c.setsockopt(socket.SOL_SOCKET,socket.SO_LINGER,struct.pack('ii',1,0));c.close()");
        Assert.True(resetter.WaitForOutput("listening", Timeout), resetter.Output);
        await using var stream = await client.ConnectAsync(Kernel, 9300, cancellationToken: Ct);
        await stream.WriteAsync("hello"u8.ToArray(), Ct);
        var reset = await Assert.ThrowsAsync<MipSocketException>(async () => _ = await stream.ReadAsync(new byte[16], Ct));
        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
        Assert.Equal("CONNECTION_RESET", reset.Reason);
        await WaitForNoSocketsAsync(client);
    }

    [Fact]
    public async Task A_connect_to_an_on_link_address_nobody_answers_fails_host_unreachable_within_a_few_seconds()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var server = StartServer(lab, out string stackAddress);
        using var client = new MipClient($"http://127.0.0.1:{server.GrpcPort}");
        // Nobody holds this address on the lab (in the pool, but only the stack takes a lease).
        string absent = stackAddress == "192.168.2.77" ? "192.168.2.78" : "192.168.2.77";

        // Like Linux's EHOSTUNREACH: ARP gives up after three requests a second apart, long before the 20 s timeout.
        var clock = Stopwatch.StartNew();
        var unreachable = await Assert.ThrowsAsync<MipSocketException>(() => client.ConnectAsync(absent, 80, timeout: Timeout, cancellationToken: Ct));
        var elapsed = clock.Elapsed;
        Assert.Equal(SocketError.HostUnreachable, unreachable.SocketErrorCode);
        Assert.Equal("HOST_UNREACHABLE", unreachable.Reason);
        Assert.Equal(StatusCode.Unavailable, Assert.IsType<RpcException>(unreachable.InnerException).StatusCode);
        Assert.InRange(elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(6));
        await WaitForNoSocketsAsync(client);
    }

    [Fact]
    public async Task Disposing_a_stream_closes_like_a_socket_FIN_at_once_without_waiting_for_the_peer()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var server = StartServer(lab);
        // A kernel peer that reports our FIN but keeps its own side open (it never closes first).
        var peer = lab.Start(lab.KernelNamespace, "lingering-peer", "python3", "-c",
            "import socket,time\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('0.0.0.0',9150));s.listen(1);print('listening',flush=True)\n" +
            "c,_=s.accept();n=0\nwhile True:\n d=c.recv(65536)\n if not d: break\n n+=len(d)\nprint('eof after',n,flush=True);time.sleep(30)");
        Assert.True(peer.WaitForOutput("listening", Timeout), peer.Output);
        using var client = new MipClient($"http://127.0.0.1:{server.GrpcPort}");

        var stream = await client.ConnectAsync(Kernel, 9150, cancellationToken: Ct);
        await stream.WriteAsync(new byte[100_000], Ct);
        var watch = Stopwatch.StartNew();
        await stream.DisposeAsync();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"DisposeAsync took {watch.Elapsed} (it must not wait for the peer)");
        // Every byte, then our FIN, reached the peer; the gRPC socket is gone at once (the stack finishes the close).
        Assert.True(peer.WaitForOutput("eof after 100000", Timeout), peer.Output);
        Assert.Empty((await client.Stack.ListSocketsAsync(new ListSocketsRequest(), cancellationToken: Ct)).Sockets);
        using var http = new HttpClient();
        string metrics = await http.GetStringAsync($"http://127.0.0.1:{server.MetricsPort}/metrics", Ct);
        Assert.Equal(0, Metric(metrics, "mip_tcp_resets_total{", "direction=\"sent\""));
    }

    [Fact]
    public async Task A_client_killed_mid_transfer_frees_its_connection_within_a_second()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var server = StartServer(lab);
        using var client = new MipClient($"http://127.0.0.1:{server.GrpcPort}");
        var peer = KernelPeer.Serve(lab, "serve-stream", 9400, "--send", $"{1L << 32}");

        // Another process holds the connection (buf curl streaming the Connect call) and is killed with SIGKILL while
        // the kernel peer is still sending: its HTTP/2 connection drops and the server must reset the TCP connection.
        using var holder = BufCurl.Start(server.GrpcPort, "mip.v1.TcpService/Connect");
        await holder.StandardInput.WriteLineAsync("{\"open\": {\"host\": \"" + Kernel + "\", \"port\": 9400}}");
        await holder.StandardInput.FlushAsync(Ct);
        SocketInfo? held = null;
        for (var wait = Stopwatch.StartNew(); wait.Elapsed < Timeout; await Task.Delay(50, Ct))
        {
            held = (await client.Stack.ListSocketsAsync(new ListSocketsRequest(), cancellationToken: Ct)).Sockets.SingleOrDefault();
            if (held is { BytesReceived: > 1 << 20 })
            {
                break;
            }
        }
        Assert.NotNull(held);
        Assert.Equal("Established", held.State);
        Assert.True(held.BytesReceived > 1 << 20, $"transfer under way: {held.BytesReceived} bytes");

        holder.Kill();
        var freed = Stopwatch.StartNew();
        while ((await client.Stack.ListSocketsAsync(new ListSocketsRequest(), cancellationToken: Ct)).Sockets.Count > 0)
        {
            Assert.True(freed.Elapsed < TimeSpan.FromSeconds(1), "the killed client's connection is still open after 1 s");
            await Task.Delay(20, Ct);
        }
        // The kernel peer sees the reset, and the metrics follow within their period.
        Assert.True(peer.WaitForExit(Timeout), peer.Output);
        Assert.Contains("Connection reset by peer", peer.Output, StringComparison.Ordinal);
        await Task.Delay(400, Ct);
        using var http = new HttpClient();
        string metrics = await http.GetStringAsync($"http://127.0.0.1:{server.MetricsPort}/metrics", Ct);
        Assert.Equal(0, Metric(metrics, "mip_grpc_sockets_open{", "protocol=\"tcp\""));
        Assert.Equal(0, Metric(metrics, "mip_tcp_connections{", "state=\"established\""));
        Assert.True(Metric(metrics, "mip_tcp_resets_total{", "direction=\"sent\"") >= 1);
        Assert.True(Metric(metrics, "mip_tcp_segments_total{", "direction=\"received\"") > 100);
    }

    [Fact]
    public async Task An_HttpClient_through_the_stack_GETs_from_a_kernel_http_server()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq(addresses: new Dictionary<string, string> { ["files.lab"] = Kernel });
        string dir = Path.Combine(lab.StateDirectory, "www");
        Directory.CreateDirectory(dir);
        var body = new byte[3 << 20];
        new Random(9).NextBytes(body);
        await File.WriteAllBytesAsync(Path.Combine(dir, "blob.bin"), body, Ct);
        var web = lab.Start(lab.KernelNamespace, "http.server", "python3", "-u", "-m", "http.server", "8080", "--bind", Kernel, "--directory", dir);
        Assert.True(web.WaitForOutput("Serving HTTP", Timeout), web.Output);
        using var server = StartServer(lab);
        using var client = new MipClient($"http://127.0.0.1:{server.GrpcPort}");

        using var http = new HttpClient(client.CreateHttpHandler());
        // By name: the stack's resolver answers (dnsmasq on the kernel side).
        var fetched = await http.GetByteArrayAsync("http://files.lab:8080/blob.bin", Ct);
        Assert.Equal(SHA256.HashData(body), SHA256.HashData(fetched));
        var listing = await http.GetStringAsync($"http://{Kernel}:8080/", Ct);
        Assert.Contains("blob.bin", listing, StringComparison.Ordinal);
    }

    internal static MipServerProcess StartServer(LabNetwork lab) => StartServer(lab, out _);

    internal static MipServerProcess StartServer(LabNetwork lab, out string stackAddress)
    {
        var server = new MipServerProcess(lab);
        if (!server.WaitForOutput("READY, IP:", Timeout))
        {
            server.Dispose();
            throw new TimeoutException(server.Output);
        }
        stackAddress = server.Output.Split('\n').First(l => l.StartsWith("READY, IP:", StringComparison.Ordinal))["READY, IP:".Length..].Trim();
        return server;
    }

    internal static async Task<(long Length, string Sha256)> ReadToEndAsync(Stream stream)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[256 * 1024];
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer, Ct)) > 0)
        {
            sha.AppendData(buffer, 0, n);
            total += n;
        }
        return (total, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    private static async Task<(StatusCode, string)> ConnectRawAsync(TcpService.TcpServiceClient tcp, ConnectOpen open)
    {
        using var call = tcp.Connect(cancellationToken: Ct);
        await call.RequestStream.WriteAsync(new ConnectRequest { Open = open }, Ct);
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(Ct));
        return (ex.StatusCode, ex.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
    }

    private static async Task WaitForNoSocketsAsync(MipClient client)
    {
        for (var wait = Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(2); await Task.Delay(20, Ct))
        {
            if ((await client.Stack.ListSocketsAsync(new ListSocketsRequest(), cancellationToken: Ct)).Sockets.Count == 0)
            {
                return;
            }
        }
        Assert.Fail("sockets are still listed after their calls ended");
    }

    private static double Metric(string text, string prefix, string label)
    {
        var line = text.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal));
        return double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
