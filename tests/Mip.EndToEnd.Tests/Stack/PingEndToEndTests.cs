using Mip.EndToEnd.Tests.Lab;
using Mip.Stack.Iface;
using Mip.Stack.Wire;

namespace Mip.EndToEnd.Tests.Stack;

/// <summary>ICMP echo both ways between the stack and the Linux kernel.</summary>
public sealed class PingEndToEndTests
{
    [Fact]
    public void Kernel_pings_the_stack_a_thousand_times_without_loss()
    {
        LabNetwork.SkipUnlessRoot();
        double baselineAvg = KernelToKernelBaselineMs();

        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var stack = new StackHarness(lab, StackHarness.ServerDefaults());
        var address = stack.WaitForAddress(TimeSpan.FromSeconds(10)).Address;

        var result = lab.RunKernel("ping", "-c", "1000", "-i", "0.01", "-W", "1", "-q", address.ToString());
        var (sent, received, avg, max) = PingParser.Summary(result.Stdout);
        Assert.Equal(1000, sent);
        Assert.Equal(1000, received);
        Assert.Equal(1000, stack.Invoke((s, _) => s.Counters.IcmpEchoRepliesSent));
        Measurements.Report("ping kernel -> stack (1000 at 10 ms, 0 lost)",
            $"avg {avg:F3} ms, max {max:F3} ms; kernel -> kernel on the same kind of veth: avg {baselineAvg:F3} ms; Mongoose mip-pcap: 0.87 ms");
    }

    [Fact]
    public void Stack_pings_the_kernel_and_measures_rtt()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var stack = new StackHarness(lab, StackHarness.ServerDefaults());
        stack.WaitForAddress(TimeSpan.FromSeconds(10));

        const int count = 100;
        var rtts = new List<double>();
        for (ushort seq = 1; seq <= count; seq++)
        {
            ushort s = seq;
            Assert.True(stack.Invoke((net, now) => net.SendPing(LabNetwork.KernelAddress, 0x4d49, s, 56, now)));
            var reply = stack.WaitForEvent<PingReplyReceived>(r => r.Seq == s, TimeSpan.FromSeconds(2));
            Assert.Equal(LabNetwork.KernelAddress, reply.From);
            Assert.Equal(56, reply.Bytes);
            Assert.NotNull(reply.Rtt);
            rtts.Add(reply.Rtt.Value.TotalMilliseconds);
        }
        Measurements.Report("ping stack -> kernel (100)", $"avg {rtts.Average():F3} ms, max {rtts.Max():F3} ms");
    }

    /// <summary>Kernel to kernel over a fresh veth pair of the same lab shape: the floor our RTT is compared with.</summary>
    private static double KernelToKernelBaselineMs()
    {
        using var lab = LabNetwork.Create();
        var peer = new Ipv4Address(192, 168, 2, 2);
        lab.RunStack("ip", "addr", "add", $"{peer}/24", "dev", LabNetwork.StackInterface).EnsureSuccess();
        var result = lab.RunKernel("ping", "-c", "200", "-i", "0.01", "-W", "1", "-q", peer.ToString());
        var (_, received, avg, _) = PingParser.Summary(result.Stdout);
        Assert.Equal(200, received);
        return avg;
    }
}
