using Mip.EndToEnd.Tests.Lab;
using Mip.Stack.Sockets.Dns;
using Mip.Stack.Wire;

namespace Mip.EndToEnd.Tests.Stack;

/// <summary>The stack's resolver asking dnsmasq, with the server learned from the DHCP lease.</summary>
public sealed class DnsEndToEndTests
{
    [Fact]
    public void Resolves_names_served_by_dnsmasq_and_caches_them()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq(addresses: new Dictionary<string, string> { ["printer.lab"] = "192.168.2.50", ["alias.lab"] = "192.168.2.51" });
        using var stack = new StackHarness(lab, StackHarness.ServerDefaults());
        stack.WaitForAddress(TimeSpan.FromSeconds(10));

        var first = Resolve(stack, "printer.lab");
        Assert.Equal(DnsResolveStatus.Success, first.Status);
        Assert.Equal([new Ipv4Address(192, 168, 2, 50)], first.Addresses);
        Assert.False(first.FromCache);

        var again = Resolve(stack, "PRINTER.lab.");
        Assert.Equal(DnsResolveStatus.Success, again.Status);
        Assert.True(again.FromCache);
        Assert.Equal(first.Addresses, again.Addresses);

        Assert.Equal([new Ipv4Address(192, 168, 2, 51)], Resolve(stack, "alias.lab").Addresses);
    }

    private static DnsResult Resolve(StackHarness stack, string name)
    {
        int handle = stack.Invoke((s, now) => s.Dns.BeginResolve(name, now));
        DnsResult? result = null;
        stack.WaitUntil((s, _) => s.Dns.TryGetResult(handle, out result), TimeSpan.FromSeconds(10), $"resolving {name}");
        return result!;
    }
}
