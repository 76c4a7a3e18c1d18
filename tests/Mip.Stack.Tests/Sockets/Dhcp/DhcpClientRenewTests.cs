using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Wire;
using static Mip.Stack.Tests.Sockets.Dhcp.DhcpClientHarness;

namespace Mip.Stack.Tests.Sockets.Dhcp;

/// <summary>Lease 3600 s bound at t = 0: T1 1800 s, T2 3150 s, expiry 3600 s.</summary>
public sealed class DhcpClientRenewTests
{
    [Fact]
    public void T1_unicasts_request_to_the_server_with_ciaddr_set()
    {
        var h = new DhcpClientHarness();
        h.BindAt(S(0));
        uint bindXid = h.LastSent.Repr.TransactionId;
        Assert.Equal(S(1800), h.Client.NextDeadline);
        h.RunUntil(S(1800));

        Assert.Equal(DhcpClientState.Renewing, h.Client.State);
        var renew = h.LastSent;
        Assert.Equal((Offered, ServerId, S(1800)), (renew.Source, renew.Destination, renew.At));
        var r = renew.Repr;
        Assert.Equal(DhcpMessageType.Request, r.MessageType);
        Assert.Equal(Offered, r.ClientAddress);
        Assert.Null(r.RequestedAddress);
        Assert.Null(r.ServerIdentifier);
        Assert.False(r.Broadcast);
        Assert.Equal(0, r.Seconds);
        Assert.NotEqual(bindXid, r.TransactionId);
    }

    [Fact]
    public void Renewing_and_rebinding_retransmit_at_half_the_remaining_time_down_to_60_s_then_expire()
    {
        var h = new DhcpClientHarness();
        h.BindAt(S(0));
        h.RunUntil(S(3600));

        var renewal = h.Host.Sent.Skip(2).ToArray();
        // RENEWING (unicast): 1800, +675, +337.5, +168.75, +84.375, then +60 (half is 42.19), then T2 cuts it short.
        // REBINDING (broadcast) from T2 = 3150: +225, +112.5, +60 (half is 56.25), then expiry at 3600.
        Assert.Equal(
            [S(1800), S(2475), S(2812.5), S(2981.25), S(3065.625), S(3125.625), S(3150), S(3375), S(3487.5), S(3547.5), S(3600)],
            renewal.Select(s => s.At));
        Assert.All(renewal[..6], s => Assert.Equal((Offered, ServerId, DhcpMessageType.Request), (s.Source, s.Destination, s.Type)));
        Assert.All(renewal[6..10], s => Assert.Equal((Offered, Ipv4Address.Broadcast, DhcpMessageType.Request), (s.Source, s.Destination, s.Type)));
        Assert.All(renewal[6..10], s => Assert.Equal(Offered, s.Repr.ClientAddress));
        // One renewal process: one xid, secs counting from T1.
        Assert.All(renewal[..10], s => Assert.Equal(renewal[0].Repr.TransactionId, s.Repr.TransactionId));
        Assert.Equal(1350, renewal[6].Repr.Seconds);

        // At expiry: deconfigure, DhcpLeaseLost(Expired), and a DISCOVER that hints the old address (RFC 2131 §4.4.5).
        Assert.Equal((null, S(3600)), h.Host.Configs[^1]);
        Assert.Equal(new DhcpLeaseLost(S(3600), DhcpLeaseLostReason.Expired), h.Host.Events[^1]);
        var discover = renewal[^1];
        Assert.Equal((DhcpMessageType.Discover, Ipv4Address.Any, Ipv4Address.Broadcast), (discover.Type, discover.Source, discover.Destination));
        Assert.Equal(Offered, discover.Repr.RequestedAddress);
        Assert.Equal(DhcpClientState.Selecting, h.Client.State);
        Assert.Null(h.Client.Lease);
    }

    [Fact]
    public void Ack_while_renewing_extends_the_lease_keeping_router_mask_and_dns_the_server_left_out()
    {
        var h = new DhcpClientHarness();
        h.BindAt(S(0));
        h.RunUntil(S(2000));
        // Some servers answer renewals with the bare minimum: no router, mask, DNS or domain.
        h.Deliver(h.Server.Ack(h.LastSent, r => r with { SubnetMask = null, Router = null, DnsServers = [], DomainName = null }), S(2000.2));

        Assert.Equal(DhcpClientState.Bound, h.Client.State);
        var lease = h.Client.Lease!;
        Assert.Equal(Ipv4Address.Parse("255.255.255.0"), lease.Mask);
        Assert.Equal(ServerId, lease.Gateway);
        Assert.Equal([ServerId], lease.DnsServers);
        Assert.Equal("lab", lease.DomainName);
        // The lease clock restarts at the original renewal REQUEST (T1 = 1800), so T1' = 3600.
        Assert.Equal(S(1800), lease.AcquiredAt);
        Assert.Equal(S(3600), h.Client.NextDeadline);
        // Nothing changed: no second ApplyConfig, but a renewal event.
        Assert.Single(h.Host.Configs);
        Assert.Equal(new DhcpLeaseRenewed(S(2000.2), lease), h.Host.Events[^1]);
    }

    [Fact]
    public void Ack_while_rebinding_with_new_dns_reapplies_the_config()
    {
        var h = new DhcpClientHarness();
        h.BindAt(S(0));
        h.RunUntil(S(3200));
        Assert.Equal(DhcpClientState.Rebinding, h.Client.State);
        var dns = Ipv4Address.Parse("192.168.2.53");
        h.Deliver(h.Server.Ack(h.LastSent, r => r with { DnsServers = [dns] }), S(3200.1));

        Assert.Equal(DhcpClientState.Bound, h.Client.State);
        Assert.Equal(2, h.Host.Configs.Count);
        Assert.Equal(S(3200.1), h.Host.Configs[^1].At);
        Assert.Equal([dns], h.Host.Configs[^1].Config!.DnsServers);
        Assert.IsType<DhcpLeaseRenewed>(h.Host.Events[^1]);
    }

    [Fact]
    public void Nak_while_renewing_deconfigures_and_restarts_from_init()
    {
        var h = new DhcpClientHarness();
        h.BindAt(S(0));
        h.RunUntil(S(1800));
        h.Deliver(h.Server.Nak(h.LastSent), S(1800.01));

        Assert.Equal((null, S(1800.01)), h.Host.Configs[^1]);
        Assert.Equal(new DhcpLeaseLost(S(1800.01), DhcpLeaseLostReason.Nak), h.Host.Events[^1]);
        Assert.Null(h.Client.Lease);
        Assert.Equal(DhcpClientState.Selecting, h.Client.State);
        Assert.Equal((DhcpMessageType.Discover, S(1800.01)), (h.LastSent.Type, h.LastSent.At));
        Assert.Null(h.LastSent.Repr.RequestedAddress);
    }

    [Fact]
    public void Server_t1_t2_are_honoured()
    {
        var h = new DhcpClientHarness();
        h.Server.T1Seconds = 600;
        h.Server.T2Seconds = 1200;
        h.BindAt(S(0));
        Assert.Equal((TimeSpan.FromSeconds(600), TimeSpan.FromSeconds(1200)), (h.Client.Lease!.RenewalTime, h.Client.Lease.RebindingTime));
        Assert.Equal(S(600), h.Client.NextDeadline);
    }

    [Theory]
    // lease, T1, T2 from the server -> effective T1, T2
    [InlineData(1000u, 900u, 800u, 500, 800)]     // T1 >= T2: T1 falls back to half the lease
    [InlineData(1000u, 900u, 2000u, 500, 875)]    // T2 >= lease: 7/8; then T1 900 >= 875 falls back too
    [InlineData(1000u, 0u, 0u, 500, 875)]         // zeros are not timers
    [InlineData(1000u, 300u, 200u, 100, 200)]     // half the lease is past T2: T1 is half of T2
    [InlineData(1000u, 1000u, 1000u, 500, 875)]   // equal to the lease
    public void Inconsistent_t1_t2_are_clamped_so_that_t1_lt_t2_lt_lease(uint lease, uint t1, uint t2, int expectedT1, int expectedT2)
    {
        var h = new DhcpClientHarness();
        h.Server.LeaseSeconds = lease;
        h.Server.T1Seconds = t1;
        h.Server.T2Seconds = t2;
        h.BindAt(S(0));
        Assert.Equal(TimeSpan.FromSeconds(expectedT1), h.Client.Lease!.RenewalTime);
        Assert.Equal(TimeSpan.FromSeconds(expectedT2), h.Client.Lease.RebindingTime);
    }

    [Fact]
    public void Lease_below_the_floor_is_raised_to_it()
    {
        var h = new DhcpClientHarness();
        h.Server.LeaseSeconds = 2;
        h.BindAt(S(0));
        Assert.Equal(TimeSpan.FromSeconds(10), h.Client.Lease!.LeaseDuration);
        Assert.Equal(S(5), h.Client.NextDeadline);
    }

    [Fact]
    public void Infinite_lease_is_never_renewed()
    {
        var h = new DhcpClientHarness();
        h.Server.LeaseSeconds = uint.MaxValue;
        h.Server.T1Seconds = 100;
        h.BindAt(S(0));
        Assert.True(h.Client.Lease!.IsInfinite);
        Assert.Equal(Instant.MaxValue, h.Client.Lease.ExpiresAt);
        Assert.Equal(Instant.MaxValue, h.Client.NextDeadline);
        h.RunUntil(S(10_000_000));
        Assert.Equal(2, h.Host.Sent.Count);
    }

    [Theory]
    [InlineData("10.1.2.3", "255.0.0.0")]        // class A
    [InlineData("172.16.5.9", "255.255.0.0")]    // class B
    [InlineData("192.168.2.57", "255.255.255.0")] // class C
    public void First_ack_without_router_or_mask_gets_a_classful_mask_and_no_gateway(string address, string mask)
    {
        var h = new DhcpClientHarness();
        h.Server.Offered = Ipv4Address.Parse(address);
        h.Server.Mask = null;
        h.Server.Router = null;
        h.BindAt(S(0));
        var config = h.Host.Configs.Single().Config!;
        Assert.Equal(Ipv4Address.Parse(address), config.Address);
        Assert.Equal(Ipv4Address.Parse(mask), config.Mask);
        Assert.Equal(Ipv4Address.Any, config.Gateway);
    }

    [Fact]
    public void Renewal_ack_without_lease_time_keeps_the_previous_duration()
    {
        var h = new DhcpClientHarness();
        h.BindAt(S(0));
        h.RunUntil(S(1800));
        h.Deliver(h.Server.Ack(h.LastSent, r => r with { LeaseTimeSeconds = null }), S(1800.5));
        Assert.Equal(TimeSpan.FromSeconds(3600), h.Client.Lease!.LeaseDuration);
        Assert.Equal(S(3600), h.Client.NextDeadline);
    }
}
