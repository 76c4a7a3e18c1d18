using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Wire;
using static Mip.Stack.Tests.Sockets.Dhcp.DhcpClientHarness;

namespace Mip.Stack.Tests.Sockets.Dhcp;

public sealed class DhcpClientArpTests
{
    [Fact]
    public void Conflict_while_probing_declines_and_restarts_after_ten_seconds()
    {
        var h = new DhcpClientHarness(ExactOptions(probe: true));
        h.Start(S(0));
        h.Deliver(h.Server.Offer(h.LastSent), S(0.01));
        h.Deliver(h.Server.Ack(h.LastSent), S(0.02));
        h.RunUntil(S(0.15));
        Assert.Equal(2, h.Host.Probes.Count);

        // Another host answers for the address (RFC 5227 §2.1.1).
        h.Arp(Offered, OtherMac, S(0.15));

        var decline = h.LastSent;
        Assert.Equal((Ipv4Address.Any, Ipv4Address.Broadcast, S(0.15)), (decline.Source, decline.Destination, decline.At));
        var r = decline.Repr;
        Assert.Equal(DhcpMessageType.Decline, r.MessageType);
        Assert.Equal(Ipv4Address.Any, r.ClientAddress);
        Assert.Equal(Offered, r.RequestedAddress);
        Assert.Equal(ServerId, r.ServerIdentifier);
        Assert.Equal(0, r.Seconds);
        Assert.True(r.ParameterRequestList.IsEmpty);
        Assert.Empty(h.Host.Configs);
        Assert.Empty(h.Host.Events);
        Assert.Equal((1, 1), (h.Client.Counters.Conflicts, h.Client.Counters.DeclinesSent));

        // RFC 2131 §3.1 step 5: wait at least ten seconds, then DISCOVER afresh without hinting that address.
        Assert.Equal(DhcpClientState.Init, h.Client.State);
        Assert.Equal(S(10.15), h.Client.NextDeadline);
        h.RunUntil(S(10.15));
        Assert.Equal((DhcpMessageType.Discover, S(10.15)), (h.LastSent.Type, h.LastSent.At));
        Assert.Null(h.LastSent.Repr.RequestedAddress);
        Assert.Equal(2, h.Host.Probes.Count);
    }

    [Fact]
    public void Another_hosts_probe_for_the_candidate_is_a_conflict()
    {
        var h = new DhcpClientHarness(ExactOptions(probe: true));
        h.Start(S(0));
        h.Deliver(h.Server.Offer(h.LastSent), S(0));
        h.Deliver(h.Server.Ack(h.LastSent), S(0));
        h.RunUntil(S(0.15));
        Assert.Equal(DhcpClientState.Probing, h.Client.State);

        // RFC 5227 §2.1.1: an ARP Probe (sender IP 0.0.0.0) for the address we probe, from another interface:
        // both hosts are trying to take it, so both must back off.
        h.Arp(new ArpRepr(ArpOperation.Request, OtherMac, Ipv4Address.Any, MacAddress.Zero, Offered), S(0.15));

        Assert.Equal((DhcpMessageType.Decline, S(0.15)), (h.LastSent.Type, h.LastSent.At));
        Assert.Equal(Offered, h.LastSent.Repr.RequestedAddress);
        Assert.Equal((1, 1), (h.Client.Counters.Conflicts, h.Client.Counters.DeclinesSent));
        Assert.Equal(DhcpClientState.Init, h.Client.State);
        Assert.Empty(h.Host.Configs);
    }

    [Fact]
    public void Probes_that_are_ours_or_for_other_addresses_or_replies_are_no_conflict()
    {
        var h = new DhcpClientHarness(ExactOptions(probe: true));
        h.Start(S(0));
        h.Deliver(h.Server.Offer(h.LastSent), S(0));
        h.Deliver(h.Server.Ack(h.LastSent), S(0));
        // Our own probe looped back, a probe for another address, and a reply with sender 0.0.0.0 (not a probe).
        h.Arp(new ArpRepr(ArpOperation.Request, h.Host.Mac, Ipv4Address.Any, MacAddress.Zero, Offered), S(0.05));
        h.Arp(new ArpRepr(ArpOperation.Request, OtherMac, Ipv4Address.Any, MacAddress.Zero, Ipv4Address.Parse("192.168.2.58")), S(0.05));
        h.Arp(new ArpRepr(ArpOperation.Reply, OtherMac, Ipv4Address.Any, h.Host.Mac, Offered), S(0.05));
        h.RunUntil(S(1));
        Assert.Equal(DhcpClientState.Bound, h.Client.State);
        Assert.Equal(0, h.Client.Counters.Conflicts);

        // Bound, a probe for our address is answered by the stack, not a conflict for the client.
        h.Arp(new ArpRepr(ArpOperation.Request, OtherMac, Ipv4Address.Any, MacAddress.Zero, Offered), S(2));
        Assert.Equal(DhcpClientState.Bound, h.Client.State);
        Assert.Equal(0, h.Client.Counters.Conflicts);
    }

    [Fact]
    public void Arp_from_ourselves_or_about_other_addresses_is_no_conflict()
    {
        var h = new DhcpClientHarness(ExactOptions(probe: true));
        h.Start(S(0));
        h.Deliver(h.Server.Offer(h.LastSent), S(0));
        h.Deliver(h.Server.Ack(h.LastSent), S(0));
        h.Arp(Offered, h.Host.Mac, S(0.05));
        h.Arp(Ipv4Address.Parse("192.168.2.58"), OtherMac, S(0.05));
        h.Arp(Ipv4Address.Any, OtherMac, S(0.05));
        h.RunUntil(S(1));
        Assert.Equal(DhcpClientState.Bound, h.Client.State);
        Assert.Equal(0, h.Client.Counters.Conflicts);
        Assert.Equal(S(0.4), h.Host.Configs.Single().At);
    }

    [Fact]
    public void Ten_conflicts_rate_limit_the_restart_to_sixty_seconds()
    {
        var h = new DhcpClientHarness(ExactOptions(probe: true));
        h.Start(S(0));
        for (int i = 0; i < 10; i++)
        {
            h.Deliver(h.Server.Offer(h.LastSent), h.Now);
            h.Deliver(h.Server.Ack(h.LastSent), h.Now);
            h.Arp(Offered, OtherMac, h.Now);
            var expectedDelay = i < 9 ? 10 : 60;
            Assert.Equal(h.Now + TimeSpan.FromSeconds(expectedDelay), h.Client.NextDeadline);
            h.RunUntil(h.Client.NextDeadline);
        }
        Assert.Equal(10, h.Client.Counters.DeclinesSent);
    }

    [Fact]
    public void Conflict_while_bound_is_defended_once_then_the_address_is_given_up()
    {
        var h = new DhcpClientHarness();
        h.BindAt(S(0));

        // First conflict: defend with one announcement (RFC 5227 §2.4 (b)).
        h.Arp(Offered, OtherMac, S(100));
        Assert.Equal([(Offered, S(100))], h.Host.Announcements);
        Assert.Equal(DhcpClientState.Bound, h.Client.State);

        // A conflict more than DEFEND_INTERVAL later is defended again.
        h.Arp(Offered, OtherMac, S(111));
        Assert.Equal(2, h.Host.Announcements.Count);

        // A second conflict inside DEFEND_INTERVAL: stop using the address, DECLINE it, restart after 10 s.
        h.Arp(Offered, OtherMac, S(115));
        Assert.Equal(2, h.Host.Announcements.Count);
        Assert.Equal((null, S(115)), h.Host.Configs[^1]);
        Assert.Equal(new DhcpLeaseLost(S(115), DhcpLeaseLostReason.Conflict), h.Host.Events[^1]);
        Assert.Equal(DhcpMessageType.Decline, h.LastSent.Type);
        Assert.Equal(Offered, h.LastSent.Repr.RequestedAddress);
        Assert.Equal(DhcpClientState.Init, h.Client.State);
        Assert.Equal(S(125), h.Client.NextDeadline);
        Assert.Equal((3, 2), (h.Client.Counters.Conflicts, h.Client.Counters.Defenses));
    }

    [Fact]
    public void Probe_disabled_binds_on_ack_and_announce_count_zero_sends_nothing()
    {
        var h = new DhcpClientHarness(ExactOptions(probe: false));
        h.BindAt(S(0));
        Assert.Empty(h.Host.Probes);
        Assert.Empty(h.Host.Announcements);
        Assert.Equal(S(0), h.Host.Configs.Single().At);
    }

    [Fact]
    public void Default_probe_timing_stays_within_rfc5227_bounds()
    {
        var h = new DhcpClientHarness(new DhcpClientOptions { RetransmitJitter = TimeSpan.Zero }, seed: 3);
        h.Start(S(0));
        h.Deliver(h.Server.Offer(h.LastSent), S(0));
        h.Deliver(h.Server.Ack(h.LastSent), S(0));
        h.RunUntil(S(20));
        var probes = h.Host.Probes.Select(p => p.At).ToArray();
        Assert.Equal(3, probes.Length);
        Assert.InRange(probes[0].Microseconds, 0, 1_000_000);                       // PROBE_WAIT
        Assert.InRange((probes[1] - probes[0]).TotalSeconds, 1, 2);   // PROBE_MIN..PROBE_MAX
        Assert.InRange((probes[2] - probes[1]).TotalSeconds, 1, 2);
        var bound = h.Host.Configs.Single().At;
        Assert.Equal(probes[2] + TimeSpan.FromSeconds(2), bound);    // ANNOUNCE_WAIT
        Assert.Equal([bound, bound + TimeSpan.FromSeconds(2)], h.Host.Announcements.Select(a => a.At));
    }
}
