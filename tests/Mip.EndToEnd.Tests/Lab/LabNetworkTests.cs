namespace Mip.EndToEnd.Tests.Lab;

/// <summary>The fixture's DHCP servers really serve the lab: busybox udhcpc on my0 stands in for the stack's client.</summary>
public sealed class LabNetworkTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("dnsmasq", 120)]
    [InlineData("dhcpd", 30)]
    [InlineData("udhcpd", 30)]
    public void Each_dhcp_server_leases_an_address_with_the_configured_lease_time(string server, int leaseSeconds)
    {
        using var lab = LabNetwork.Create();
        var process = server switch
        {
            "dnsmasq" => lab.StartDnsmasq(TimeSpan.FromSeconds(leaseSeconds), new Dictionary<string, string> { ["demo.lab"] = "192.168.2.1" }),
            "dhcpd" => lab.StartIscDhcpd(TimeSpan.FromSeconds(leaseSeconds)),
            _ => lab.StartUdhcpd(TimeSpan.FromSeconds(leaseSeconds)),
        };

        // -n: fail instead of backgrounding; -q: quit once leased; -s /bin/true: leave my0 unconfigured.
        var result = lab.RunStack("busybox", "udhcpc", "-i", LabNetwork.StackInterface, "-n", "-q", "-t", "5", "-T", "1", "-s", "/bin/true");
        string text = result.Stdout + result.Stderr;
        output.WriteLine(text);
        Assert.True(result.Succeeded, $"{text}\n{server} output:\n{process.Output}");
        Assert.Contains($"obtained from {LabNetwork.KernelAddress}, lease time {leaseSeconds}", text, StringComparison.Ordinal);
        Assert.False(process.HasExited, process.Output);
    }

    [Fact]
    public void Dispose_removes_the_namespaces_and_the_processes()
    {
        var lab = LabNetwork.Create();
        var dnsmasq = lab.StartDnsmasq();
        string name = lab.Name;
        int pid = dnsmasq.Id;
        lab.Dispose();

        Assert.False(Directory.Exists($"/proc/{pid}"), $"dnsmasq (pid {pid}) survived Dispose");
        var list = LabNetwork.Execute("ip", ["netns", "list"], TimeSpan.FromSeconds(10)).EnsureSuccess().Stdout;
        Assert.DoesNotContain(name, list, StringComparison.Ordinal);
        Assert.False(Directory.Exists(lab.StateDirectory));
    }
}
