using Mip.EndToEnd.Tests.Lab;
using Mip.EndToEnd.Tests.Stack;
using Mip.Server.Hosting;
using Mip.Stack.Phy;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.EndToEnd.Tests.Tcp;

/// <summary>Wireshark's TCP dissector as a second opinion on every segment the stack sends and receives.</summary>
public sealed class TcpCaptureEndToEndTests
{
    [Fact]
    public void Tshark_finds_no_malformed_segment_and_no_bad_checksum_in_the_stacks_tcp()
    {
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        const long Bytes = 16L << 20;
        var kernel = KernelPeer.Serve(lab, "serve-stream", 9010, "--send", "16777216");
        string file = Path.Combine(lab.StateDirectory, "stack-tcp.pcap");
        var writer = new PcapFileWriter(File.Create(file));
        var apps = new LoopApps();
        using (var stack = new StackHarness(lab, StackHarness.ServerDefaults(),
            wrap: inner => new PcapWriterDevice(inner, writer, () => MonotonicClock.Now, DateTimeOffset.UtcNow), onPoll: apps.Poll))
        {
            stack.WaitForAddress(TimeSpan.FromSeconds(10));
            var peer = stack.Invoke((s, now) =>
            {
                var p = new TcpStreamPeer(s.ConnectTcp(new Ipv4Endpoint(LabNetwork.KernelAddress, 9010), now), Bytes, seed: 4);
                apps.Add((_, t) => p.Pump(t));
                return p;
            });
            var result = KernelPeer.Result(kernel, TimeSpan.FromSeconds(60));
            stack.WaitUntil((_, _) => peer.Done && peer.Socket.State is TcpState.TimeWait or TcpState.Closed, TimeSpan.FromSeconds(10), $"the close ({peer})");
            Assert.Equal(stack.Invoke((_, _) => peer.SentSha256), result.GetProperty("received_sha256").GetString());
            // A refused connection (RST from the kernel) belongs in the capture too.
            var refused = stack.Invoke((s, now) => s.ConnectTcp(new Ipv4Endpoint(LabNetwork.KernelAddress, 9999), now));
            stack.WaitUntil((_, _) => refused.State == TcpState.Closed, TimeSpan.FromSeconds(5), "the refusal");
        }
        writer.Dispose();

        Assert.True(TcpEndToEndTests.Count(lab, file, "tcp") > 10_000, "too few TCP frames captured");
        Assert.True(TcpEndToEndTests.Count(lab, file, "tcp.flags.syn == 1 && tcp.options.sack_perm && tcp.options.wscale.shift && tcp.options.timestamp.tsval") >= 2);
        Assert.True(TcpEndToEndTests.Count(lab, file, "tcp.flags.reset == 1") >= 1);
        // The payload is random bytes: decode it as plain data, or a heuristic dissector (THRIFT, seen once) may take a
        // segment for its protocol and call it malformed. What is judged here is IP and TCP, not the payload.
        var bad = lab.RunKernel("tshark", "-r", file, "-d", "tcp.port==9010,data", "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-Y",
            "_ws.malformed || _ws.expert.severity == error || tcp.checksum.status == \"Bad\" || ip.checksum.status == \"Bad\"").EnsureSuccess().Stdout;
        Assert.True(bad.Length == 0, "tshark flags segments:\n" + string.Join('\n', bad.Split('\n').Take(30)));
    }
}
