using Mip.EndToEnd.Tests.Lab;
using Mip.Server.Hosting;
using Mip.Stack;
using Mip.Stack.Iface;
using Mip.Stack.Phy;
using Mip.Stack.Wire;

namespace Mip.EndToEnd.Tests.Stack;

/// <summary>Wireshark's dissectors as a second opinion on everything the stack puts on the wire.</summary>
public sealed class CaptureEndToEndTests
{
    [Fact]
    public void Tshark_finds_no_malformed_frame_and_no_bad_checksum_in_the_stacks_traffic()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq(addresses: new Dictionary<string, string> { ["printer.lab"] = "192.168.2.50" });
        var socat = lab.Start(lab.KernelNamespace, "socat-echo", "socat", "-d", "-d",
            $"UDP4-RECVFROM:7000,bind={LabNetwork.KernelAddress},reuseaddr,fork", "PIPE");
        Assert.True(socat.WaitForOutput("receiving on", TimeSpan.FromSeconds(10)), socat.Output);

        string file = Path.Combine(lab.StateDirectory, "stack.pcap");
        var writer = new PcapFileWriter(File.Create(file));
        using (var stack = new StackHarness(lab, StackHarness.ServerDefaults(),
            wrap: inner => new PcapWriterDevice(inner, writer, () => MonotonicClock.Now, DateTimeOffset.UtcNow)))
        {
            var address = stack.WaitForAddress(TimeSpan.FromSeconds(10)).Address;
            lab.RunKernel("ping", "-c", "5", "-i", "0.01", "-s", "3000", address.ToString()).EnsureSuccess();
            Assert.True(stack.Invoke((s, now) => s.SendPing(LabNetwork.KernelAddress, 1, 1, 2000, now)));
            stack.WaitForEvent<PingReplyReceived>(null, TimeSpan.FromSeconds(2));
            var socket = stack.Invoke((s, _) => s.OpenUdp());
            var payload = new byte[6000];
            new Random(1).NextBytes(payload);
            Assert.True(stack.Invoke((_, now) => socket.TrySendTo(payload, new Ipv4Endpoint(LabNetwork.KernelAddress, 7000), now)));
            stack.WaitUntil((_, _) => socket.PendingDatagrams > 0, TimeSpan.FromSeconds(5), "the echo");
            int dns = stack.Invoke((s, now) => s.Dns.BeginResolve("printer.lab", now));
            stack.WaitUntil((s, _) => s.Dns.TryGetResult(dns, out var _), TimeSpan.FromSeconds(5), "DNS");
            // Closed port: the stack answers with ICMP port unreachable, which the kernel turns into ECONNREFUSED.
            var refused = lab.RunKernel("bash", "-c", $"echo x | socat -t 1 - UDP4:{address}:9999");
            Assert.Contains("Connection refused", refused.Stderr, StringComparison.Ordinal);
            stack.WaitUntil((s, _) => s.Counters.IcmpErrorsSent > 0, TimeSpan.FromSeconds(5), "port unreachable");
        }
        writer.Dispose();

        var frames = Tshark(lab, file, "").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(frames.Length > 20, $"only {frames.Length} frames captured");
        string[] protocols = ["dhcp", "arp", "icmp", "dns", "udp", "ip.flags.mf == 1"];
        foreach (var p in protocols)
        {
            Assert.NotEmpty(Tshark(lab, file, p));
        }
        string bad = Tshark(lab, file,
            "_ws.malformed || _ws.expert.severity == error || ip.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\"");
        Assert.True(bad.Length == 0, "tshark flags frames:\n" + bad);
    }

    private static string Tshark(LabNetwork lab, string file, string filter)
    {
        // The echoed payload is random bytes: decode it as data so no port or heuristic dissector judges it.
        var args = new List<string> { "tshark", "-r", file, "-d", "udp.port==7000,data", "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE" };
        if (filter.Length > 0)
        {
            args.AddRange(["-Y", filter]);
        }
        return lab.RunKernel([.. args]).EnsureSuccess().Stdout;
    }
}
