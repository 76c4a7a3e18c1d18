using Mip.EndToEnd.Tests.Lab;
using Mip.Stack.Iface;
using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Wire;

namespace Mip.EndToEnd.Tests.Stack;

/// <summary>The stack's DHCP server leasing to the kernel's busybox udhcpc, over veth and pcap.</summary>
public sealed class DhcpServerEndToEndTests
{
    private static readonly Ipv4Address ServerAddress = new(192, 168, 2, 1);
    private static readonly Ipv4Address PoolStart = new(192, 168, 2, 50);
    private static readonly Ipv4Address PoolEnd = new(192, 168, 2, 60);
    private static readonly Ipv4Address Dns = new(192, 168, 2, 53);

    [Fact]
    public void Busybox_udhcpc_leases_from_the_stack_configures_the_kernel_and_releases()
    {
        LabNetwork.SkipUnlessRoot();
        // The kernel side starts without an address: it is the DHCP client here, the stack is the server.
        using var lab = LabNetwork.Create(assignKernelAddress: false);
        var defaults = StackHarness.ServerDefaults();
        var options = new StackOptions
        {
            Mac = defaults.Mac,
            StaticIpv4 = new Ipv4Config(ServerAddress, Ipv4Address.MaskFromPrefix(24), Ipv4Address.Any, []),
            DhcpServer = new DhcpServerOptions
            {
                PoolStart = PoolStart,
                PoolEnd = PoolEnd,
                LeaseTime = TimeSpan.FromMinutes(5),
                Router = ServerAddress,
                DnsServers = [Dns],
                DomainName = "lab",
            },
        };
        using var stack = new StackHarness(lab, options);

        // udhcpc's hook: record what it was given and configure my1 with it (so the RELEASE can go out unicast), then
        // resolve the server's MAC, as any client that has talked to its server would have. Without that the RELEASE
        // could be lost in the kernel, not on our side: on SIGTERM udhcpc sends it through a UDP socket and runs the
        // deconfig hook at once. With no ARP entry for the server (the "ip addr flush" between the two runs flushed
        // the ARP cache too, and the -B run needs no ARP), the kernel queues the datagram behind an ARP request, and
        // the hook's flush of the last address (fib_disable_ip -> arp_ifdown) destroys the incomplete entry with
        // the queued datagram: the RELEASE went out only if the stack's ARP reply beat the fork and exec of the hook,
        // which machine load decided. A resolved entry makes the send synchronous (veth transmits in sendto).
        string env = Path.Combine(lab.StateDirectory, "udhcpc.env");
        string script = Path.Combine(lab.StateDirectory, "udhcpc.sh");
        File.WriteAllText(script,
            "#!/bin/sh\n" +
            "case \"$1\" in\n" +
            $"  bound|renew) env > {env}; ip addr add \"$ip/$mask\" dev \"$interface\"; " +
            "ping -c 1 -W 2 \"$serverid\" > /dev/null ;;\n" +
            "  deconfig) ip addr flush dev \"$interface\" ;;\n" +
            "esac\n" +
            "exit 0\n");
        lab.RunKernel("chmod", "700", script).EnsureSuccess();

        // Without -B the client leaves the BROADCAST bit clear, so the OFFER and ACK go to its MAC without ARP
        // (RFC 2131 §4.1); -a makes it ARP-probe the offered address first, which the stack must not answer.
        var first = lab.RunKernel("busybox", "udhcpc", "-i", LabNetwork.KernelInterface, "-f", "-q", "-n", "-t", "5", "-T", "1",
            "-a", "-s", script);
        first.EnsureSuccess();
        var given = ReadEnv(env);
        Assert.Equal(PoolStart.ToString(), given["ip"]);
        Assert.Equal("255.255.255.0", given["subnet"]);
        Assert.Equal(ServerAddress.ToString(), given["router"]);
        Assert.Equal(Dns.ToString(), given["dns"].Trim());
        Assert.Equal("lab", given["domain"]);
        Assert.Equal(ServerAddress.ToString(), given["serverid"]);
        Assert.Equal("300", given["lease"]);
        var lease = Assert.Single(stack.Invoke((s, _) => s.DhcpServer!.GetLeases()));
        Assert.Equal((lab.KernelMac, PoolStart, false), (lease.Mac, lease.Address, lease.IsOffered));
        Assert.Contains($"{PoolStart}/24", lab.RunKernel("ip", "-4", "addr", "show", "dev", LabNetwork.KernelInterface).Stdout, StringComparison.Ordinal);

        // The configured kernel reaches the stack (ARP + ICMP both ways).
        lab.RunKernel("ping", "-c", "2", "-W", "2", ServerAddress.ToString()).EnsureSuccess();

        // Again with -B (broadcast replies) and -R, staying in the foreground this time (busybox skips the release
        // when -q makes it quit): it asks for its address and gets it back; on SIGTERM it releases it, unicast from
        // that address to the server, and the server frees it (RFC 2131 §4.4.6, §4.3.4).
        lab.RunKernel("ip", "addr", "flush", "dev", LabNetwork.KernelInterface).EnsureSuccess();
        File.Delete(env);
        var second = lab.RunKernel("timeout", "-s", "TERM", "3", "busybox", "udhcpc", "-i", LabNetwork.KernelInterface, "-f",
            "-t", "5", "-T", "1", "-B", "-R", "-r", PoolStart.ToString(), "-s", script);
        Assert.Equal(PoolStart.ToString(), ReadEnv(env)["ip"]);
        Assert.Contains("unicasting a release", second.Stderr + second.Stdout, StringComparison.Ordinal);
        stack.WaitUntil((s, _) => s.DhcpServer!.GetLeases().Count == 0, TimeSpan.FromSeconds(5), "the RELEASE to free the lease");
        var counters = stack.Invoke((s, _) => s.DhcpServer!.Counters);
        Assert.Equal(1, counters.ReleasesReceived);
        Assert.True(counters.AcksSent >= 2 && counters.OffersSent >= 2, $"acks={counters.AcksSent} offers={counters.OffersSent}");
        Assert.Equal(0, counters.NaksSent);
    }

    private static Dictionary<string, string> ReadEnv(string path)
    {
        Assert.True(File.Exists(path), "udhcpc never ran its script with a lease");
        return File.ReadAllLines(path)
            .Select(line => line.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .GroupBy(kv => kv[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.Ordinal);
    }
}
