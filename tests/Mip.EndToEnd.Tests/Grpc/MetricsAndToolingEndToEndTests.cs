using System.Globalization;
using System.Text.Json;
using Mip.Client;
using Mip.EndToEnd.Tests.Lab;
using Mip.EndToEnd.Tests.Tcp;

namespace Mip.EndToEnd.Tests.Grpc;

/// <summary>The /metrics endpoint checked by promtool and scraped by a real Prometheus; the protos linted by buf.</summary>
public sealed class MetricsAndToolingEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Prometheus_scrapes_non_zero_packet_rates_and_promtool_accepts_the_exposition()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var server = new MipServerProcess(lab);
        Assert.True(server.WaitForOutput("READY, IP:", TimeSpan.FromSeconds(15)), server.Output);
        string address = server.Output.Split('\n').First(l => l.StartsWith("READY, IP:", StringComparison.Ordinal))["READY, IP:".Length..].Trim();
        // Traffic during the scrapes: the kernel pings the stack 10 times a second, for longer than the test can take
        // (30 s: a loaded machine once let an 8 s ping end before Prometheus had two scrapes with traffic).
        using var ping = lab.Start(lab.KernelNamespace, "ping", "ping", "-i", "0.1", "-c", "300", address);

        // One TCP connection through gRPC that ends before the scrape, so the SRTT histogram has a sample.
        using (var echo = KernelPeer.Serve(lab, "serve-echo", 7500))
        using (var client = new MipClient($"http://127.0.0.1:{server.GrpcPort}"))
        {
            await using var stream = await client.ConnectAsync("192.168.2.1", 7500, cancellationToken: Ct);
            await stream.WriteAsync("ping"u8.ToArray(), Ct);
            await stream.ShutdownAsync(Ct);
            Assert.Equal(4, (await TcpServiceEndToEndTests.ReadToEndAsync(stream)).Length);
        }

        using var http = new HttpClient();
        string exposition = await http.GetStringAsync($"http://127.0.0.1:{server.MetricsPort}/metrics", Ct);
        Assert.Contains("# HELP mip_link_frames_received_total", exposition, StringComparison.Ordinal);
        Assert.Contains("reason=\"not_for_us\"", exposition, StringComparison.Ordinal);
        // Every family the service promises (README "Metrics"), stack and host alike.
        string[] families =
        [
            "mip_link_frames_received_total", "mip_link_frames_sent_total", "mip_link_received_bytes_total", "mip_link_sent_bytes_total",
            "mip_drops_total{", "mip_pcap_kernel_drops_total", "mip_pcap_interface_drops_total", "mip_arp_messages_total{",
            "mip_dhcp_state{", "mip_icmp_echo_messages_total{", "mip_udp_datagrams_total{", "mip_tcp_segments_total{",
            "mip_tcp_retransmits_total{", "mip_tcp_resets_total{", "mip_tcp_opens_total{", "mip_tcp_connections{",
            "mip_tcp_srtt_seconds_bucket{", "mip_grpc_sockets_open{", "mip_grpc_event_watchers",
            "http_server_request_duration_seconds_bucket{", "kestrel_active_connections",
        ];
        Assert.All(families, family => Assert.Contains(family, exposition, StringComparison.Ordinal));
        Assert.Matches(@"mip_tcp_srtt_seconds_count\{[^}]*\} [1-9]", exposition);
        string file = Path.Combine(lab.StateDirectory, "metrics.txt");
        await File.WriteAllTextAsync(file, exposition, Ct);
        var lint = LabNetwork.Execute("promtool", ["check", "metrics"], TimeSpan.FromSeconds(30), stdinFile: file);
        Assert.True(lint.ExitCode == 0 && lint.Stdout.Trim().Length == 0 && lint.Stderr.Trim().Length == 0, $"promtool: {lint.Stdout}{lint.Stderr}");

        int prometheusPort = MipServerProcess.FreePort();
        string config = Path.Combine(lab.StateDirectory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: mip
                static_configs:
                  - targets: ["127.0.0.1:{server.MetricsPort}"]

            """, Ct);
        using var prometheus = new LabProcess("prometheus", "prometheus", new System.Diagnostics.ProcessStartInfo("prometheus")
        {
            ArgumentList = { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(lab.StateDirectory, "tsdb")}",
                $"--web.listen-address=127.0.0.1:{prometheusPort}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        });
        // A few scrapes at 1 s, then ask for the rate over them; bounded at 20 s.
        double rate = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (rate <= 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(1000, Ct);
            try
            {
                string json = await http.GetStringAsync(
                    $"http://127.0.0.1:{prometheusPort}/api/v1/query?query=" + Uri.EscapeDataString("rate(mip_link_frames_received_total[5s])"), Ct);
                using var doc = JsonDocument.Parse(json);
                foreach (var sample in doc.RootElement.GetProperty("data").GetProperty("result").EnumerateArray())
                {
                    rate = double.Parse(sample.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
                }
            }
            catch (HttpRequestException)
            {
                // Prometheus still starting.
            }
        }
        Assert.True(rate > 1, $"received frame rate {rate}/s; prometheus: {prometheus.Output}");
    }

    [Fact]
    public void The_protos_are_buf_lint_clean()
    {
        string root = MipServerProcess.RepositoryRoot;
        string buf = Path.Combine(root, "node_modules/@bufbuild/buf-linux-x64/bin/buf");
        Assert.SkipUnless(File.Exists(buf), "buf is installed by scripts/deps.sh (npm ci)");
        var result = LabNetwork.Execute(buf, ["lint", root], TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, $"buf lint:\n{result.Stdout}{result.Stderr}");
    }
}
