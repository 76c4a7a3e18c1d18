using Mip.Stack.Iface;
using Mip.Stack.Phy;
using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Tests.Netsim;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Iface;

/// <summary>
/// An echo request parked for ARP when the interface loses the address it was sent from is discarded (it must not
/// leave from an address that may be another host's) and reported at once as <see cref="PingFailureReason.AddressLost"/>,
/// so the caller does not wait for its own timeout. Fake time throughout.
/// </summary>
public sealed class PingAddressLossTests
{
    private static readonly Ipv4Address Absent = Ipv4Address.Parse("192.168.2.77");

    [Fact]
    public void Losing_the_dhcp_lease_fails_a_ping_waiting_for_arp_with_AddressLost_at_once()
    {
        // A serves DHCP; B is the DHCP client that pings.
        using var net = new SimNet(FaultOptions.None, 1,
            (device, now) => new NetStack(device, new StackOptions
            {
                Mac = Fixtures.MacA,
                StaticIpv4 = StackHarness.Config(Fixtures.IpA),
                DhcpServer = new DhcpServerOptions
                {
                    PoolStart = Ipv4Address.Parse("192.168.2.100"),
                    PoolEnd = Ipv4Address.Parse("192.168.2.150"),
                    LeaseTime = TimeSpan.FromSeconds(600),
                },
            }, new Random(1), now),
            (device, now) => new NetStack(device, new StackOptions { Mac = Fixtures.MacB }, new Random(2), now));
        net.RunUntil(SimNet.Start + TimeSpan.FromSeconds(30), () => net.B.Dhcp!.State == DhcpClientState.Bound);
        StackHarness.DrainEvents(net.B);

        Assert.True(net.B.SendPing(Absent, 5, 1, 56, net.Now));
        net.RunUntil(net.Now + TimeSpan.FromMilliseconds(500));   // one ARP request out, no answer yet
        var lostAt = net.Now;
        net.B.Dhcp!.Stop(lostAt, release: false);

        var failed = Assert.Single(StackHarness.DrainEvents(net.B).OfType<PingFailed>());
        Assert.Equal(new PingFailed(lostAt, Absent, 5, 1, PingFailureReason.AddressLost), failed);
        // Nothing more about it later: ARP giving up would have said HostUnreachable 3 s after the request.
        net.RunUntil(net.Now + TimeSpan.FromSeconds(5));
        Assert.DoesNotContain(StackHarness.DrainEvents(net.B), e => e is PingFailed);
        Assert.Equal(0, net.B.Counters.Drops(DropReason.ArpUnresolved));
    }

    [Fact]
    public void A_new_address_fails_pings_parked_from_the_old_one_only()
    {
        var link = new InMemoryLink();
        var now = Instant.FromSeconds(10);
        var stack = StackHarness.Stack(link.A, Fixtures.MacB, StackHarness.Config(Fixtures.IpB), now);
        stack.Poll(now);
        StackHarness.DrainEvents(stack);
        Assert.True(stack.SendPing(Absent, 9, 1, 56, now));

        // Same subnet, so the neighbour entry stays: only the source address decides.
        var newAddress = Ipv4Address.Parse("192.168.2.60");
        ((IDhcpHost)stack).ApplyConfig(StackHarness.Config(newAddress), now);
        Assert.True(stack.SendPing(Absent, 9, 2, 56, now));

        var failed = Assert.Single(StackHarness.DrainEvents(stack).OfType<PingFailed>());
        Assert.Equal(new PingFailed(now, Absent, 9, 1, PingFailureReason.AddressLost), failed);
        // The ping from the new address still waits for ARP, and fails the usual way when ARP gives up.
        for (int i = 1; i <= 3; i++)
        {
            stack.Poll(now + TimeSpan.FromSeconds(i));
        }
        var later = Assert.Single(StackHarness.DrainEvents(stack).OfType<PingFailed>());
        Assert.Equal(new PingFailed(now + TimeSpan.FromSeconds(3), Absent, 9, 2, PingFailureReason.HostUnreachable), later);
    }
}
