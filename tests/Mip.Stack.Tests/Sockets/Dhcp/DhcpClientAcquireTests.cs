using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Tests.Wire;
using Mip.Stack.Wire;
using static Mip.Stack.Tests.Sockets.Dhcp.DhcpClientHarness;

namespace Mip.Stack.Tests.Sockets.Dhcp;

public sealed class DhcpClientAcquireTests
{
    [Fact]
    public void Happy_path_against_dnsmasq_bytes_with_probe_and_announce_at_exact_times()
    {
        var options = new DhcpClientOptions
        {
            HostName = "mip",
            RetransmitJitter = TimeSpan.Zero,
            ProbeWait = TimeSpan.Zero,
            ProbeMin = TimeSpan.FromMilliseconds(100),
            ProbeMax = TimeSpan.FromMilliseconds(100),
            AnnounceWait = TimeSpan.FromMilliseconds(200),
            AnnounceInterval = TimeSpan.FromSeconds(2),
        };
        var h = new DhcpClientHarness(options);
        h.Start(S(10));

        // INIT -> SELECTING: one broadcast DISCOVER from 0.0.0.0, next try in 4 s (RFC 2131 §4.1).
        Assert.Equal(DhcpClientState.Selecting, h.Client.State);
        var discover = Assert.Single(h.Host.Sent);
        Assert.Equal(DhcpMessageType.Discover, discover.Type);
        Assert.Equal((Ipv4Address.Any, Ipv4Address.Broadcast, S(10)), (discover.Source, discover.Destination, discover.At));
        Assert.Equal("mip", discover.Repr.HostName);
        Assert.Equal(S(14), h.Client.NextDeadline);
        uint xid = discover.Repr.TransactionId;

        // The OFFER (dnsmasq layout) 5 ms later -> REQUEST at once with the same xid, options 50 and 54.
        h.Deliver(DhcpFixtures.WithXid(DhcpFixtures.DnsmasqOffer, xid), S(10.005));
        Assert.Equal(DhcpClientState.Requesting, h.Client.State);
        var request = h.LastSent.Repr;
        Assert.Equal(DhcpMessageType.Request, request.MessageType);
        Assert.Equal(xid, request.TransactionId);
        Assert.Equal(Offered, request.RequestedAddress);
        Assert.Equal(ServerId, request.ServerIdentifier);
        Assert.Equal(Ipv4Address.Any, request.ClientAddress);
        Assert.Equal((Ipv4Address.Any, Ipv4Address.Broadcast, S(10.005)), (h.LastSent.Source, h.LastSent.Destination, h.LastSent.At));
        Assert.Equal(S(14.005), h.Client.NextDeadline);

        // ACK -> PROBING: three probes 100 ms apart, ANNOUNCE_WAIT 200 ms, then bound (RFC 5227 §2.1.1).
        h.Deliver(DhcpFixtures.WithXid(DhcpFixtures.DnsmasqAck, xid), S(10.010));
        Assert.Equal(DhcpClientState.Probing, h.Client.State);
        h.RunUntil(S(10.409));
        Assert.Equal([(Offered, S(10.010)), (Offered, S(10.110)), (Offered, S(10.210))], h.Host.Probes);
        Assert.Empty(h.Host.Configs);
        h.RunUntil(S(13));

        Assert.Equal(DhcpClientState.Bound, h.Client.State);
        var (config, at) = Assert.Single(h.Host.Configs);
        Assert.Equal(S(10.410), at);
        Assert.Equal(Offered, config!.Address);
        Assert.Equal(Ipv4Address.Parse("255.255.255.0"), config.Mask);
        Assert.Equal(ServerId, config.Gateway);
        Assert.Equal([ServerId], config.DnsServers);
        Assert.Equal([(Offered, S(10.410)), (Offered, S(12.410))], h.Host.Announcements);

        var acquired = Assert.IsType<DhcpLeaseAcquired>(Assert.Single(h.Host.Events));
        Assert.Equal(S(10.410), acquired.At);
        var lease = acquired.Lease;
        Assert.Same(lease, h.Client.Lease);
        Assert.Equal("lab", lease.DomainName);
        Assert.Equal(ServerId, lease.ServerId);
        // The lease clock starts when the REQUEST went out (RFC 2131 §4.4.1), not when the ACK came or probing ended.
        Assert.Equal(S(10.005), lease.AcquiredAt);
        Assert.Equal(TimeSpan.FromSeconds(3600), lease.LeaseDuration);
        Assert.Equal(S(1810.005), lease.RenewAt);
        Assert.Equal(S(3160.005), lease.RebindAt);
        Assert.Equal(S(3610.005), lease.ExpiresAt);
        Assert.Equal(S(1810.005), h.Client.NextDeadline);

        Assert.Equal((1, 1, 1, 1, 3, 2), (h.Client.Counters.DiscoversSent, h.Client.Counters.RequestsSent,
            h.Client.Counters.OffersReceived, h.Client.Counters.AcksReceived, h.Client.Counters.ArpProbesSent,
            h.Client.Counters.ArpAnnouncementsSent));
        Assert.Equal(0, h.Client.Counters.IgnoredTotal);
    }

    [Fact]
    public void Discover_backoff_doubles_to_64_seconds_without_jitter()
    {
        var h = new DhcpClientHarness();
        h.Start(S(0));
        h.RunUntil(S(400));
        var times = h.Host.Sent.Select(s => s.At).ToArray();
        // 4, 8, 16, 32, 64, 64, 64 ... (RFC 2131 §4.1)
        Assert.Equal([S(0), S(4), S(12), S(28), S(60), S(124), S(188), S(252), S(316), S(380)], times);
        Assert.All(h.Host.Sent, s => Assert.Equal(h.Host.Sent[0].Repr.TransactionId, s.Repr.TransactionId));
        // 'secs' counts whole seconds since the exchange began (RFC 2131 §2).
        Assert.Equal([0, 4, 12, 28, 60, 124, 188, 252, 316, 380], h.Host.Sent.Select(s => (int)s.Repr.Seconds));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(2131)]
    public void Discover_backoff_jitter_stays_within_one_second(int seed)
    {
        var h = new DhcpClientHarness(new DhcpClientOptions { ArpProbe = false }, seed);
        h.Start(S(0));
        h.RunUntil(S(600));
        var gaps = h.Host.Sent.Zip(h.Host.Sent.Skip(1), (a, b) => (b.At - a.At).TotalSeconds).ToArray();
        double[] bases = [4, 8, 16, 32, 64, 64, 64];
        Assert.True(gaps.Length >= bases.Length);
        for (int i = 0; i < bases.Length; i++)
        {
            Assert.InRange(gaps[i], bases[i] - 1, bases[i] + 1);
        }
        // Randomised, not fixed: at least one gap differs from its base by more than a millisecond.
        Assert.Contains(gaps.Take(bases.Length).Select((g, i) => Math.Abs(g - bases[i])), d => d > 0.001);
    }

    [Fact]
    public void Lab_timeout_of_one_second_doubles_with_jitter_capped_at_half()
    {
        var h = new DhcpClientHarness(new DhcpClientOptions { InitialRetransmitTimeout = TimeSpan.FromSeconds(1), ArpProbe = false }, 5);
        h.Start(S(0));
        h.RunUntil(S(200));
        var gaps = h.Host.Sent.Zip(h.Host.Sent.Skip(1), (a, b) => (b.At - a.At).TotalSeconds).ToArray();
        // 1 ± 0.5, 2 ± 1, 4 ± 1, ... 64 ± 1.
        (double Base, double Jitter)[] expected = [(1, 0.5), (2, 1), (4, 1), (8, 1), (16, 1), (32, 1), (64, 1)];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.InRange(gaps[i], expected[i].Base - expected[i].Jitter, expected[i].Base + expected[i].Jitter);
        }
    }

    [Fact]
    public void Slow_server_answering_after_three_seconds_is_accepted_without_retransmission()
    {
        var h = new DhcpClientHarness();
        h.Start(S(0));
        h.Deliver(h.Server.Offer(h.LastSent), S(3));
        Assert.Equal(3, h.LastSent.Repr.Seconds);
        Assert.Equal(S(7), h.Client.NextDeadline);
        h.Deliver(h.Server.Ack(h.LastSent), S(6.5));
        Assert.Equal(DhcpClientState.Bound, h.Client.State);
        Assert.Equal([DhcpMessageType.Discover, DhcpMessageType.Request], h.Host.Sent.Select(s => s.Type));
        Assert.Equal(S(3), h.Client.Lease!.AcquiredAt);
        Assert.Equal(S(6.5), h.Host.Configs.Single().At);
    }

    [Fact]
    public void Offer_to_a_retransmitted_discover_is_accepted_and_request_is_retransmitted_until_ack()
    {
        var h = new DhcpClientHarness();
        h.Start(S(0));
        h.RunUntil(S(5));
        Assert.Equal(2, h.Host.Sent.Count);
        h.Deliver(h.Server.Offer(h.LastSent), S(5));
        Assert.Equal(5, h.LastSent.Repr.Seconds);
        h.RunUntil(S(20));
        // REQUEST at 5, 9, 17: the same xid, secs still counting from the first DISCOVER.
        var requests = h.Host.Sent.Where(s => s.Type == DhcpMessageType.Request).ToArray();
        Assert.Equal([S(5), S(9), S(17)], requests.Select(r => r.At));
        Assert.Equal([5, 9, 17], requests.Select(r => (int)r.Repr.Seconds));
        h.Deliver(h.Server.Ack(h.LastSent), S(20));
        Assert.Equal(DhcpClientState.Bound, h.Client.State);
        Assert.Equal(S(5), h.Client.Lease!.AcquiredAt);
    }

    [Fact]
    public void Requesting_gives_up_after_max_transmissions_and_starts_over()
    {
        var h = new DhcpClientHarness();
        h.Start(S(0));
        h.Deliver(h.Server.Offer(h.LastSent), S(0));
        uint firstXid = h.LastSent.Repr.TransactionId;
        h.RunUntil(S(60));
        // REQUEST at 0, 4, 12, 28; the fourth times out at 60 -> INIT -> a fresh DISCOVER.
        Assert.Equal([S(0), S(4), S(12), S(28)], h.Host.Sent.Where(s => s.Type == DhcpMessageType.Request).Select(s => s.At));
        Assert.Equal(DhcpMessageType.Discover, h.LastSent.Type);
        Assert.Equal(S(60), h.LastSent.At);
        Assert.NotEqual(firstXid, h.LastSent.Repr.TransactionId);
        Assert.Equal(0, h.LastSent.Repr.Seconds);
    }

    [Fact]
    public void Nak_while_requesting_restarts_from_init_with_a_new_xid_and_backs_off_on_repeats()
    {
        var h = new DhcpClientHarness();
        h.Start(S(0));
        h.Deliver(h.Server.Offer(h.LastSent), S(0.1));
        uint xid = h.LastSent.Repr.TransactionId;
        h.Deliver(h.Server.Nak(h.LastSent), S(0.2));

        // RFC 2131 §3.1 step 4: NAK -> INIT; the first restart is immediate.
        Assert.Equal(DhcpClientState.Selecting, h.Client.State);
        var discover = h.LastSent;
        Assert.Equal((DhcpMessageType.Discover, S(0.2)), (discover.Type, discover.At));
        Assert.NotEqual(xid, discover.Repr.TransactionId);
        Assert.Null(discover.Repr.RequestedAddress);
        Assert.Empty(h.Host.Configs);
        Assert.Empty(h.Host.Events);
        Assert.Equal(1, h.Client.Counters.NaksReceived);

        // A second NAK in a row waits 1 s, a third 2 s.
        h.Deliver(h.Server.Offer(h.LastSent), S(0.3));
        h.Deliver(h.Server.Nak(h.LastSent), S(0.4));
        Assert.Equal(DhcpClientState.Init, h.Client.State);
        Assert.Equal(S(1.4), h.Client.NextDeadline);
        h.RunUntil(S(1.4));
        h.Deliver(h.Server.Offer(h.LastSent), S(1.5));
        h.Deliver(h.Server.Nak(h.LastSent), S(1.6));
        Assert.Equal(S(3.6), h.Client.NextDeadline);
    }

    [Fact]
    public void Foreign_and_malformed_replies_are_counted_and_ignored()
    {
        var h = new DhcpClientHarness();
        h.Start(S(0));
        var discover = h.LastSent;
        var good = h.Server.Offer(discover);

        var wrongXid = (byte[])good.Clone();
        wrongXid[7] ^= 0xFF;
        var otherClient = (byte[])good.Clone();
        otherClient[DhcpMessage.ClientHardwareAddressOffset + 5] = 0x02;
        var truncatedOption = (byte[])good.Clone();
        truncatedOption[DhcpMessage.OptionsOffset + 4] = 0xF0; // second option's length runs past the end
        var bootp = (byte[])good.Clone();
        bootp[DhcpMessage.OptionsOffset] = (byte)DhcpOptionCode.Pad; // 53 -> Pad Pad Pad
        bootp[DhcpMessage.OptionsOffset + 1] = 0;
        bootp[DhcpMessage.OptionsOffset + 2] = 0;

        h.Deliver(wrongXid, S(0.1));
        h.Deliver(otherClient, S(0.1));
        h.Deliver(discover.Payload, S(0.1));            // our own broadcast, echoed
        h.Deliver(good.AsSpan(0, 100).ToArray(), S(0.1));
        h.Deliver(truncatedOption, S(0.1));
        h.Deliver(bootp, S(0.1));
        h.Deliver(h.Server.Ack(discover), S(0.1));      // an ACK while selecting
        h.Deliver(h.Server.Offer(discover, r => r with { YourAddress = Ipv4Address.Any }), S(0.1));
        h.Deliver(h.Server.Offer(discover, r => r with { ServerIdentifier = null, ServerAddress = Ipv4Address.Any }), S(0.1));

        var c = h.Client.Counters;
        Assert.Equal(1, c.Ignored(DhcpIgnoreReason.WrongTransactionId));
        Assert.Equal(1, c.Ignored(DhcpIgnoreReason.ForeignHardwareAddress));
        Assert.Equal(1, c.Ignored(DhcpIgnoreReason.NotBootReply));
        Assert.Equal(2, c.Ignored(DhcpIgnoreReason.Malformed));
        Assert.Equal(1, c.Ignored(DhcpIgnoreReason.NotDhcp));
        Assert.Equal(1, c.Ignored(DhcpIgnoreReason.UnexpectedMessageType));
        Assert.Equal(2, c.Ignored(DhcpIgnoreReason.Unusable));
        Assert.Equal(9, c.IgnoredTotal);
        Assert.Equal(DhcpClientState.Selecting, h.Client.State);
        Assert.Single(h.Host.Sent);

        // The genuine offer still works afterwards.
        h.Deliver(good, S(0.2));
        Assert.Equal(DhcpClientState.Requesting, h.Client.State);
    }

    [Fact]
    public void Ack_from_another_server_while_requesting_is_ignored()
    {
        var h = new DhcpClientHarness();
        h.Start(S(0));
        h.Deliver(h.Server.Offer(h.LastSent), S(0));
        h.Deliver(h.Server.Ack(h.LastSent, r => r with { ServerIdentifier = Ipv4Address.Parse("192.168.2.2") }), S(0.1));
        Assert.Equal(1, h.Client.Counters.Ignored(DhcpIgnoreReason.WrongServer));
        Assert.Equal(DhcpClientState.Requesting, h.Client.State);
    }

    [Fact]
    public void Replies_while_bound_are_not_expected()
    {
        var h = new DhcpClientHarness();
        h.BindAt(S(0));
        h.Deliver(h.Server.Ack(h.LastSent), S(1));
        Assert.Equal(1, h.Client.Counters.Ignored(DhcpIgnoreReason.NotExpected));
        Assert.Single(h.Host.Configs);
    }

    [Fact]
    public void First_ack_without_lease_time_is_refused()
    {
        var h = new DhcpClientHarness();
        h.Start(S(0));
        h.Deliver(h.Server.Offer(h.LastSent), S(0));
        h.Deliver(h.Server.Ack(h.LastSent, r => r with { LeaseTimeSeconds = null }), S(0.1));
        Assert.Equal(1, h.Client.Counters.Ignored(DhcpIgnoreReason.MissingLeaseTime));
        Assert.Equal(DhcpClientState.Requesting, h.Client.State);
    }

    [Fact]
    public void Offer_collection_window_waits_then_requests_the_first_offer()
    {
        var options = new DhcpClientOptions
        {
            RetransmitJitter = TimeSpan.Zero,
            ArpProbe = false,
            OfferCollectionWindow = TimeSpan.FromMilliseconds(500),
        };
        var h = new DhcpClientHarness(options);
        h.Start(S(0));
        h.Deliver(h.Server.Offer(h.LastSent), S(0.1));
        Assert.Equal(DhcpClientState.Selecting, h.Client.State);
        Assert.Equal(S(0.6), h.Client.NextDeadline);
        h.RunUntil(S(0.6));
        Assert.Equal((DhcpMessageType.Request, S(0.6)), (h.LastSent.Type, h.LastSent.At));
        Assert.Equal(Offered, h.LastSent.Repr.RequestedAddress);
    }

    [Fact]
    public void Stop_with_release_unicasts_release_and_deconfigures()
    {
        var h = new DhcpClientHarness();
        h.BindAt(S(0));
        h.Client.Stop(S(100), release: true);
        var release = h.LastSent;
        Assert.Equal(DhcpMessageType.Release, release.Type);
        Assert.Equal((Offered, ServerId), (release.Source, release.Destination));
        Assert.Equal(Offered, release.Repr.ClientAddress);
        Assert.Equal(ServerId, release.Repr.ServerIdentifier);
        Assert.Equal((null, S(100)), h.Host.Configs[^1]);
        Assert.Equal(new DhcpLeaseLost(S(100), DhcpLeaseLostReason.Released), h.Host.Events[^1]);
        Assert.Equal(DhcpClientState.Stopped, h.Client.State);
        Assert.Equal(Instant.MaxValue, h.Client.NextDeadline);
        Assert.Null(h.Client.Lease);
    }

    [Fact]
    public void Stop_with_release_keeps_the_address_until_the_release_has_left_behind_arp()
    {
        var h = new DhcpClientHarness();
        h.BindAt(S(0));
        int configs = h.Host.Configs.Count;
        h.Host.Unresolved.Add(ServerId);   // the server's MAC is not cached: the unicast RELEASE waits for ARP

        h.Client.Stop(S(100), release: true);
        Assert.Equal((DhcpMessageType.Release, Offered, ServerId), (h.LastSent.Type, h.LastSent.Source, h.LastSent.Destination));
        Assert.Equal(DhcpClientState.Releasing, h.Client.State);
        Assert.NotNull(h.Client.Lease);
        Assert.Equal(configs, h.Host.Configs.Count);          // still configured: deconfiguring would drop the RELEASE
        Assert.DoesNotContain(h.Host.Events, e => e is DhcpLeaseLost);
        // A conflict claim while releasing is neither defended nor declined; a late reply is ignored.
        h.Arp(Offered, OtherMac, S(100.2));
        h.Deliver(h.Server.Ack(h.Host.Sent.Last(m => m.Type == DhcpMessageType.Request)), S(100.3));
        Assert.Equal(DhcpClientState.Releasing, h.Client.State);
        Assert.Equal(1, h.Host.Sent.Count(m => m.Type == DhcpMessageType.Release));
        Assert.DoesNotContain(h.Host.Sent, m => m.Type == DhcpMessageType.Decline);
        Assert.Empty(h.Host.Announcements);

        h.Host.Unresolved.Remove(ServerId);    // ARP answered and the stack sent the RELEASE
        h.Client.Poll(S(100.5));
        Assert.Equal((null, S(100.5)), h.Host.Configs[^1]);
        Assert.Equal(new DhcpLeaseLost(S(100.5), DhcpLeaseLostReason.Released), h.Host.Events[^1]);
        Assert.Equal(DhcpClientState.Stopped, h.Client.State);
        Assert.Null(h.Client.Lease);
        Assert.Equal(Instant.MaxValue, h.Client.NextDeadline);
    }

    [Fact]
    public void Stop_without_release_while_releasing_gives_the_address_up_at_once()
    {
        var h = new DhcpClientHarness();
        h.BindAt(S(0));
        h.Host.Unresolved.Add(ServerId);
        h.Client.Stop(S(100), release: true);
        h.Client.Stop(S(100), release: true);  // already releasing: nothing more is sent
        Assert.Equal(1, h.Host.Sent.Count(m => m.Type == DhcpMessageType.Release));

        h.Client.Stop(S(101), release: false);
        Assert.Equal((null, S(101)), h.Host.Configs[^1]);
        Assert.Equal(new DhcpLeaseLost(S(101), DhcpLeaseLostReason.Released), h.Host.Events[^1]);
        Assert.Equal(DhcpClientState.Stopped, h.Client.State);
    }
}
