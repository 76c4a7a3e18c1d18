using System.Diagnostics;
using Mip.EndToEnd.Tests.Lab;
using Mip.Stack.Iface;
using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Wire;

namespace Mip.EndToEnd.Tests.Stack;

/// <summary>The stack's DHCP client against three real servers, over veth and pcap.</summary>
public sealed class DhcpEndToEndTests
{
    private static readonly Ipv4Address PoolStart = Ipv4Address.Parse(LabNetwork.PoolStart);
    private static readonly Ipv4Address PoolEnd = Ipv4Address.Parse(LabNetwork.PoolEnd);

    [Fact]
    public void Leases_an_address_from_dnsmasq_in_under_two_seconds()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        var options = StackHarness.ServerDefaults();

        var clock = Stopwatch.StartNew();
        using var stack = new StackHarness(lab, options);
        var config = stack.WaitForAddress(TimeSpan.FromSeconds(10));
        clock.Stop();

        AssertLeasedFromLab(config);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"lease took {clock.Elapsed.TotalMilliseconds:F0} ms");
        var lease = stack.WaitForEvent<DhcpLeaseAcquired>(null, TimeSpan.FromSeconds(1)).Lease;
        Assert.Equal(LabNetwork.KernelAddress, lease.ServerId);
        // dnsmasq's own lease file names our MAC with the address it gave us.
        string leases = File.ReadAllText(Path.Combine(lab.StateDirectory, "dnsmasq.leases"));
        Assert.Contains($"{options.Mac} {config.Address}", leases, StringComparison.Ordinal);
        Measurements.Report("DHCP lease from dnsmasq (stack start to READY)", $"{clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public void Leases_an_address_from_isc_dhcpd()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartIscDhcpd(TimeSpan.FromMinutes(10));
        var clock = Stopwatch.StartNew();
        using var stack = new StackHarness(lab, StackHarness.ServerDefaults());
        AssertLeasedFromLab(stack.WaitForAddress(TimeSpan.FromSeconds(10)));
        Measurements.Report("DHCP lease from isc-dhcp-server", $"{clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public void Leases_an_address_from_busybox_udhcpd()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartUdhcpd(TimeSpan.FromMinutes(10));
        var clock = Stopwatch.StartNew();
        using var stack = new StackHarness(lab, StackHarness.ServerDefaults());
        AssertLeasedFromLab(stack.WaitForAddress(TimeSpan.FromSeconds(10)));
        Measurements.Report("DHCP lease from busybox udhcpd", $"{clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public void Renews_a_short_lease_at_T1_with_a_unicast_request_seen_on_the_wire()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        // dnsmasq will not go below 2 minutes; isc dhcpd honours a 10 s lease, so T1 comes after 5 s.
        lab.StartIscDhcpd(TimeSpan.FromSeconds(10));
        string capture = Path.Combine(lab.StateDirectory, "renew.pcap");
        var tcpdump = lab.Start(lab.KernelNamespace, "tcpdump", "tcpdump", "-i", LabNetwork.KernelInterface, "-U", "-w", capture, "udp port 67 or udp port 68");
        Assert.True(tcpdump.WaitForOutput("listening on", TimeSpan.FromSeconds(10)), tcpdump.Output);

        using var stack = new StackHarness(lab, StackHarness.ServerDefaults());
        var config = stack.WaitForAddress(TimeSpan.FromSeconds(10));
        var acquired = stack.WaitForEvent<DhcpLeaseAcquired>(null, TimeSpan.FromSeconds(1));
        var renewed = stack.WaitForEvent<DhcpLeaseRenewed>(null, TimeSpan.FromSeconds(12));
        Assert.Equal(config.Address, renewed.Lease.Address);
        var afterAcquire = renewed.At - acquired.At;
        // RFC 2131 §4.4.5: T1 defaults to half the lease; allow the server's rounding and the exchange itself.
        Assert.InRange(afterAcquire.TotalSeconds, 4.0, 7.0);

        // On the wire: a REQUEST from the bound address (ciaddr set), sent unicast to the server. tcpdump writes
        // each packet as it sees it (-U) but may lag the stack by a little: read the capture until it shows up.
        string filter = $"dhcp.option.dhcp == 3 && dhcp.ip.client == {config.Address}";
        string wanted = $"{config.Address}\t{LabNetwork.KernelAddress}";
        string requests = "";
        for (var deadline = DateTime.UtcNow.AddSeconds(5); DateTime.UtcNow < deadline && !requests.Contains(wanted, StringComparison.Ordinal);)
        {
            Thread.Sleep(100);
            requests = lab.RunKernel("tshark", "-r", capture, "-Y", filter, "-T", "fields", "-e", "ip.src", "-e", "ip.dst").Stdout;
        }
        tcpdump.Dispose();
        Assert.True(requests.Contains(wanted, StringComparison.Ordinal),
            "no unicast renewing REQUEST on the wire; capture:\n" + lab.RunKernel("tshark", "-r", capture).Stdout);
        Measurements.Report("DHCP renewal (10 s lease, isc dhcpd)", $"renewed {afterAcquire.TotalSeconds:F2} s after the lease began");
    }

    private static void AssertLeasedFromLab(Ipv4Config config)
    {
        Assert.InRange(config.Address.Value, PoolStart.Value, PoolEnd.Value);
        Assert.Equal(24, config.Mask.PrefixLength);
        Assert.Equal(LabNetwork.KernelAddress, config.Gateway);
        Assert.Equal([LabNetwork.KernelAddress], config.DnsServers);
    }
}
