using System.Diagnostics;
using System.Text.Json;
using Google.Rpc;
using Grpc.Core;
using Mip.EndToEnd.Tests.Lab;
using Mip.Grpc.V1;

namespace Mip.EndToEnd.Tests.Grpc;

/// <summary>
/// mipctl's inspection commands as processes against a token-protected server: what a person reads, the JSON a script
/// parses, and the exit codes ExitCodes.cs documents (0 ok, 3 server unavailable, 4 token, 5 network, 6 not found,
/// 7 packet loss).
/// </summary>
public sealed class MipctlEndToEndTests(ITestOutputHelper log)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private const string Token = "s3cret";
    private const string Kernel = "192.168.2.1";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Status_arp_ping_and_resolve_print_tables_and_json_with_documented_exit_codes()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq(addresses: new Dictionary<string, string> { ["demo.lab"] = "192.168.2.50" });
        using var server = new MipServerProcess(lab, Token);
        Assert.True(server.WaitForOutput("READY, IP:", Timeout), server.Output);
        string address = server.Output.Split('\n').First(l => l.StartsWith("READY, IP:", StringComparison.Ordinal))["READY, IP:".Length..].Trim();

        var status = Ok(Mipctl(server, "status"));
        Assert.Contains($"interface  my0 (netns {lab.StackNamespace})", status, StringComparison.Ordinal);
        Assert.Contains($"ipv4       {address}/24  gateway 192.168.2.1  dns 192.168.2.1  (dhcp)", status, StringComparison.Ordinal);
        Assert.Contains("retransmits none", status, StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(Ok(Mipctl(server, "status", "--json"))))
        {
            Assert.Equal("my0", json.RootElement.GetProperty("interface").GetProperty("name").GetString());
            Assert.Equal(address, json.RootElement.GetProperty("ipv4").GetProperty("address").GetString());
            Assert.True(ulong.Parse(json.RootElement.GetProperty("counters").GetProperty("framesReceived").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        }

        var ping = Ok(Mipctl(server, "ping", Kernel, "-c", "2", "-i", "0.2"));
        Assert.Contains($"reply from {Kernel}: seq=1 ttl=64 time=", ping, StringComparison.Ordinal);
        Assert.Contains($"--- {Kernel}: 2 sent, 2 received, 0% loss, rtt min/avg/max ", ping, StringComparison.Ordinal);
        var replies = Lines(Ok(Mipctl(server, "ping", Kernel, "-c", "2", "-i", "0.2", "--json"))).Select(l => JsonDocument.Parse(l)).ToList();
        Assert.Equal(2, replies.Count);
        Assert.All(replies, r => Assert.True(r.RootElement.GetProperty("replied").GetBoolean()));
        var lost = Mipctl(server, "ping", "192.168.2.222", "-c", "1");
        Assert.Equal(7, lost.ExitCode);
        Assert.Contains("1 sent, 0 received, 100% loss", lost.Stdout, StringComparison.Ordinal);

        // The ping made the stack resolve the kernel's MAC.
        var arp = Lines(Ok(Mipctl(server, "arp")));
        Assert.Equal(["ADDRESS", "MAC", "STATE", "AGE"], arp[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(arp, l => l.StartsWith(Kernel, StringComparison.Ordinal) && l.Contains(lab.KernelMac.ToString(), StringComparison.Ordinal) && l.Contains("reachable", StringComparison.Ordinal));
        using (var json = JsonDocument.Parse(Ok(Mipctl(server, "arp", "--json"))))
        {
            var entry = json.RootElement.GetProperty("entries").EnumerateArray().Single(e => e.GetProperty("address").GetString() == Kernel);
            Assert.Equal(lab.KernelMac.ToString(), entry.GetProperty("mac").GetString());
            Assert.Equal("ARP_ENTRY_STATE_REACHABLE", entry.GetProperty("state").GetString());
        }

        Assert.Equal(["192.168.2.50"], Lines(Ok(Mipctl(server, "resolve", "demo.lab"))));
        using (var json = JsonDocument.Parse(Ok(Mipctl(server, "resolve", "demo.lab", "--json"))))
        {
            Assert.Equal("192.168.2.50", json.RootElement.GetProperty("addresses")[0].GetString());
        }
        // The lab's dnsmasq owns .lab: an unlisted name there is NXDOMAIN (not found, 6); outside it, with no
        // upstream, dnsmasq cannot answer (a DNS failure on the stack's network, 5).
        var unknown = Mipctl(server, "resolve", "nosuch.lab");
        Assert.True(unknown.ExitCode == 6, $"exit {unknown.ExitCode}: {unknown.Stderr}");
        Assert.StartsWith("mipctl: nosuch.lab does not exist (NXDOMAIN)", unknown.Stderr, StringComparison.Ordinal);
        var unanswered = Mipctl(server, "resolve", "nosuch.invalid");
        Assert.True(unanswered.ExitCode == 5, $"exit {unanswered.ExitCode}: {unanswered.Stderr}");
        Assert.Contains("nosuch.invalid", unanswered.Stderr, StringComparison.Ordinal);
        var invalid = Mipctl(server, "resolve", "bad..name");
        Assert.Equal(2, invalid.ExitCode);
        Assert.Contains("not a valid host name", invalid.Stderr, StringComparison.Ordinal);

        // Failures a script must tell apart.
        var refused = Mipctl(server, "connect", Kernel, "9999");
        Assert.Equal(5, refused.ExitCode);
        Assert.Contains("CONNECTION_REFUSED", refused.Stderr, StringComparison.Ordinal);
        var badToken = LabNetwork.Execute("dotnet", [ClientApps.Path("Mip.Cli", "mipctl"), "--server", $"http://127.0.0.1:{server.GrpcPort}", "--token", "guess", "status"], Timeout);
        log.WriteLine($"$ mipctl --token guess status  (exit {badToken.ExitCode})\n{badToken.Stderr}");
        Assert.Equal(4, badToken.ExitCode);
        Assert.Contains("token", badToken.Stderr, StringComparison.OrdinalIgnoreCase);
        var noServer = LabNetwork.Execute("dotnet", [ClientApps.Path("Mip.Cli", "mipctl"), "--server", $"http://127.0.0.1:{MipServerProcess.FreePort()}", "status"], Timeout);
        log.WriteLine($"$ mipctl --server (nobody) status  (exit {noServer.ExitCode})\n{noServer.Stderr}");
        Assert.Equal(3, noServer.ExitCode);
        Assert.StartsWith("mipctl: cannot reach the server", noServer.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sockets_lists_and_kills_another_clients_socket_and_events_follows_the_change()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var server = new MipServerProcess(lab, Token);
        Assert.True(server.WaitForOutput("READY, IP:", Timeout), server.Output);
        var udp = new UdpService.UdpServiceClient(server.Channel);

        // mipctl events follows from before the socket exists.
        using var events = ClientApps.Start("Mip.Cli", "mipctl", "--server", $"http://127.0.0.1:{server.GrpcPort}", "--token", Token, "events");
        using var jsonEvents = ClientApps.Start("Mip.Cli", "mipctl", "--server", $"http://127.0.0.1:{server.GrpcPort}", "--token", Token, "events", "--kind", "socket", "--json");
        Assert.True(events.WaitForOutput("-- live from here --", Timeout), events.Output);
        Assert.True(jsonEvents.WaitForOutput("snapshotComplete", Timeout), jsonEvents.Output);

        using var held = udp.Open(MipServerProcess.Bearer(Token), cancellationToken: Ct);
        await held.RequestStream.WriteAsync(new OpenRequest { Bind = new UdpBind { Port = 5300 } }, Ct);
        Assert.True(await held.ResponseStream.MoveNext(Ct));
        string id = held.ResponseStream.Current.Bound.SocketId;

        var table = Lines(Ok(Mipctl(server, "sockets")));
        Assert.Equal(["ID", "PROTO", "LOCAL", "REMOTE", "STATE", "SENT", "RECEIVED", "SRTT", "OWNER"], table[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var row = Assert.Single(table[1..]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([id, "udp"], row[..2]);
        Assert.EndsWith(":5300", row[2], StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(Ok(Mipctl(server, "sockets", "--json"))))
        {
            var socket = Assert.Single(json.RootElement.GetProperty("sockets").EnumerateArray().ToList());
            Assert.Equal(id, socket.GetProperty("id").GetString());
            Assert.Equal("SOCKET_PROTOCOL_UDP", socket.GetProperty("protocol").GetString());
            Assert.Equal(5300, socket.GetProperty("local").GetProperty("port").GetInt32());
        }

        // Killing it ends the holder's call with Aborted / SOCKET_CLOSED.
        Assert.Equal($"closed {id}", Ok(Mipctl(server, "sockets", "kill", id)).Trim());
        var ex = await Assert.ThrowsAsync<RpcException>(() => held.ResponseStream.MoveNext(Ct));
        Assert.Equal((StatusCode.Aborted, "SOCKET_CLOSED"), (ex.StatusCode, ex.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason));
        var gone = Mipctl(server, "sockets", "kill", id);
        Assert.Equal(6, gone.ExitCode);
        Assert.Contains($"no socket {id}", gone.Stderr, StringComparison.Ordinal);
        Assert.Equal(["ID", "PROTO", "LOCAL", "REMOTE", "STATE", "SENT", "RECEIVED", "SRTT", "OWNER"], Lines(Ok(Mipctl(server, "sockets")))[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));

        // Both followers saw the socket open and close, live.
        Assert.True(events.WaitForOutput($"+ socket closed {id} udp", Timeout), events.Output);
        Assert.Contains($"+ socket opened {id} udp {await LocalOf(server)}:5300", events.Output, StringComparison.Ordinal);
        Assert.Matches(@"= link up\n", events.Output);
        Assert.True(jsonEvents.WaitForOutput("SOCKET_EVENT_KIND_CLOSED", Timeout), jsonEvents.Output);
        var jsonLines = Lines(jsonEvents.Output).Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.StartsWith("closed by CloseSocket", jsonLines[^1].GetProperty("socket").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.All(jsonLines, e => Assert.True(e.TryGetProperty("socket", out _) || e.TryGetProperty("snapshotComplete", out _), e.ToString()));
        Assert.Equal(["SOCKET_EVENT_KIND_OPENED", "SOCKET_EVENT_KIND_CLOSED"],
            jsonLines.Where(e => !e.GetProperty("snapshot").GetBoolean()).Select(e => e.GetProperty("socket").GetProperty("kind").GetString()));
        log.WriteLine(events.Output);

        // The server stops: a follower learns why and exits 3 (the server went away), not as if the network failed.
        Assert.True(server.Terminate(TimeSpan.FromSeconds(10)), server.Output);
        Assert.True(events.WaitForExit(Timeout), events.Output);
        Assert.True(events.ExitCode == 3, $"exit {events.ExitCode}: {events.Output}");
        Assert.Contains("the server is shutting down", events.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Capture_piped_to_tshark_shows_the_icmp_of_a_ping()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var server = new MipServerProcess(lab, Token);
        Assert.True(server.WaitForOutput("READY, IP:", Timeout), server.Output);
        string address = await LocalOf(server);

        string mipctl = ClientApps.Path("Mip.Cli", "mipctl");
        // In the test's namespace, where the gRPC port is; tshark reads the pcapng stream from the pipe.
        using var pipe = new LabProcess("capture|tshark", "mipctl capture | tshark", new ProcessStartInfo("bash")
        {
            ArgumentList = { "-c", $"set -o pipefail; dotnet {mipctl} --server http://127.0.0.1:{server.GrpcPort} --token {Token} capture --protocol icmp -c 4 | tshark -r - -T fields -e icmp.type -e ip.src -e ip.dst" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        });
        // Ping from the stack until the capture has its 4 frames: it attaches at some point after the process starts.
        var stack = new StackService.StackServiceClient(server.Channel);
        for (var wait = Stopwatch.StartNew(); !pipe.HasExited && wait.Elapsed < Timeout;)
        {
            using var call = stack.Ping(new PingRequest { Host = Kernel, Count = 1 }, MipServerProcess.Bearer(Token), cancellationToken: Ct);
            await foreach (var _ in call.ResponseStream.ReadAllAsync(Ct))
            {
            }
            await Task.Delay(100, Ct);
        }
        Assert.True(pipe.WaitForExit(Timeout), pipe.Output);
        Assert.True(pipe.ExitCode == 0, pipe.Output);
        var rows = Lines(pipe.Output).Where(l => l.Contains('\t', StringComparison.Ordinal)).Select(l => l.Split('\t')).ToList();
        Assert.Equal(4, rows.Count);
        Assert.Equal(2, rows.Count(r => r[0] == "8" && r[1] == address && r[2] == Kernel));
        Assert.Equal(2, rows.Count(r => r[0] == "0" && r[1] == Kernel && r[2] == address));
    }

    private CommandResult Mipctl(MipServerProcess server, params string[] args)
    {
        var result = LabNetwork.Execute("dotnet", [ClientApps.Path("Mip.Cli", "mipctl"), "--server", $"http://127.0.0.1:{server.GrpcPort}", "--token", Token, .. args], Timeout);
        log.WriteLine($"$ mipctl {string.Join(' ', args)}  (exit {result.ExitCode})\n{result.Stdout}{result.Stderr}");
        return result;
    }

    private static string Ok(CommandResult result)
    {
        Assert.True(result.ExitCode == 0, $"{result.CommandLine}: exit {result.ExitCode}\n{result.Stdout}{result.Stderr}");
        return result.Stdout;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task<string> LocalOf(MipServerProcess server) =>
        (await new StackService.StackServiceClient(server.Channel).GetStatusAsync(new GetStatusRequest(), MipServerProcess.Bearer(Token), cancellationToken: Ct)).Ipv4.Address;
}
