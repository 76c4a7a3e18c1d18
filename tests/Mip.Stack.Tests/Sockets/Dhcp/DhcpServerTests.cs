using Mip.Stack.Iface;
using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Dhcp;

/// <summary>The server's RFC 2131 §4.3 behaviour, message by message, against a fake host on fake time.</summary>
public sealed class DhcpServerTests
{
    private static readonly Ipv4Address ServerIp = Ipv4Address.Parse("192.168.2.1");
    private static readonly Ipv4Address PoolStart = Ipv4Address.Parse("192.168.2.100");
    private static readonly Ipv4Address PoolEnd = Ipv4Address.Parse("192.168.2.102");
    private static readonly MacAddress Mac1 = MacAddress.Parse("02:00:00:00:01:01");
    private static readonly MacAddress Mac2 = MacAddress.Parse("02:00:00:00:01:02");
    private static readonly Instant T0 = Instant.FromSeconds(1000);

    private readonly FakeServerHost _host = new();

    private DhcpServer Server(Func<DhcpServerOptions, DhcpServerOptions>? edit = null)
    {
        var options = new DhcpServerOptions
        {
            PoolStart = PoolStart,
            PoolEnd = PoolEnd,
            LeaseTime = TimeSpan.FromSeconds(600),
            OfferHoldTime = TimeSpan.FromSeconds(30),
            DeclineHoldTime = TimeSpan.FromSeconds(300),
            DnsServers = [Ipv4Address.Parse("192.168.2.53")],
            DomainName = "lab",
        };
        return new DhcpServer(_host, edit?.Invoke(options) ?? options);
    }

    private static DhcpClientIdentity Id(MacAddress mac) => new(mac, null, 576);

    private static byte[] Emit(DhcpRepr repr)
    {
        var b = new byte[repr.BufferLength];
        repr.Emit(b);
        return b;
    }

    private static byte[] Discover(MacAddress mac, uint xid = 1, Ipv4Address? preferred = null) =>
        Emit(DhcpClientMessages.Discover(Id(mac), xid, 0, preferred));

    private static byte[] Request(MacAddress mac, DhcpRequestState state, Ipv4Address address, Ipv4Address serverId, uint xid = 1) =>
        Emit(DhcpClientMessages.Request(Id(mac), state, xid, 0, address, serverId));

    [Fact]
    public void Discover_gets_an_offer_with_the_configuration_broadcast_because_the_client_asked()
    {
        var server = Server();
        server.OnDatagram(Discover(Mac1, xid: 0x1234), T0);

        var sent = Assert.Single(_host.Sent);
        Assert.Equal((new Ipv4Endpoint(Ipv4Address.Broadcast, 68), (MacAddress?)null), (sent.Destination, sent.Link));
        var offer = sent.Repr;
        Assert.Equal((DhcpOpcode.BootReply, DhcpMessageType.Offer, 0x1234u), (offer.Op, offer.MessageType, offer.TransactionId));
        Assert.Equal((PoolStart, Ipv4Address.Any, Mac1, true), (offer.YourAddress, offer.ClientAddress, offer.ClientHardwareAddress, offer.Broadcast));
        Assert.Equal(ServerIp, offer.ServerIdentifier);
        Assert.Equal(Ipv4Address.Parse("255.255.255.0"), offer.SubnetMask);
        Assert.Equal(Ipv4Address.Parse("192.168.2.254"), offer.Router);   // the interface's gateway by default
        Assert.Equal([Ipv4Address.Parse("192.168.2.53")], offer.DnsServers);
        Assert.Equal("lab", offer.DomainName);
        Assert.Equal((600u, 300u, 525u), (offer.LeaseTimeSeconds!.Value, offer.RenewalTimeSeconds!.Value, offer.RebindingTimeSeconds!.Value));

        // The offer is held for the client: a second client gets the next address, the first the same one again.
        server.OnDatagram(Discover(Mac2), T0);
        Assert.Equal(Ipv4Address.Parse("192.168.2.101"), _host.Sent[^1].Repr.YourAddress);
        server.OnDatagram(Discover(Mac1), T0);
        Assert.Equal(PoolStart, _host.Sent[^1].Repr.YourAddress);
        Assert.Equal(2, server.GetLeases().Count);
        Assert.All(server.GetLeases(), l => Assert.True(l.IsOffered));
    }

    [Fact]
    public void Without_the_broadcast_bit_the_offer_is_unicast_to_chaddr_and_yiaddr()
    {
        var server = Server();
        var discover = DhcpClientMessages.Discover(Id(Mac1), 7, 0, null) with { Broadcast = false };
        server.OnDatagram(Emit(discover), T0);
        var sent = Assert.Single(_host.Sent);
        Assert.Equal((new Ipv4Endpoint(PoolStart, 68), (MacAddress?)Mac1), (sent.Destination, sent.Link));
    }

    [Fact]
    public void A_requested_free_address_in_the_pool_is_offered_and_static_bindings_win()
    {
        var server = Server(o => new DhcpServerOptions
        {
            PoolStart = o.PoolStart,
            PoolEnd = o.PoolEnd,
            StaticBindings = new Dictionary<MacAddress, Ipv4Address> { [Mac2] = Ipv4Address.Parse("192.168.2.20") },
        });
        server.OnDatagram(Discover(Mac1, preferred: Ipv4Address.Parse("192.168.2.102")), T0);
        Assert.Equal(Ipv4Address.Parse("192.168.2.102"), _host.Sent[^1].Repr.YourAddress);
        server.OnDatagram(Discover(Mac2, preferred: PoolStart), T0);
        Assert.Equal(Ipv4Address.Parse("192.168.2.20"), _host.Sent[^1].Repr.YourAddress);
    }

    [Fact]
    public void Selecting_request_for_our_offer_is_acked_and_binds_for_the_lease_time()
    {
        var server = Server();
        server.OnDatagram(Discover(Mac1), T0);
        server.OnDatagram(Request(Mac1, DhcpRequestState.Selecting, PoolStart, ServerIp), T0 + TimeSpan.FromSeconds(1));

        var ack = _host.Sent[^1].Repr;
        Assert.Equal((DhcpMessageType.Ack, PoolStart, 600u), (ack.MessageType, ack.YourAddress, ack.LeaseTimeSeconds!.Value));
        var lease = Assert.Single(server.GetLeases());
        Assert.Equal(new DhcpServerLease(Mac1, PoolStart, T0 + TimeSpan.FromSeconds(601), false), lease);
        Assert.Equal(T0 + TimeSpan.FromSeconds(601), server.NextDeadline);
    }

    [Fact]
    public void Selecting_another_server_frees_our_offer_silently()
    {
        var server = Server();
        server.OnDatagram(Discover(Mac1), T0);
        server.OnDatagram(Request(Mac1, DhcpRequestState.Selecting, PoolStart, Ipv4Address.Parse("192.168.2.2")), T0);
        Assert.Single(_host.Sent);
        Assert.Empty(server.GetLeases());
    }

    [Fact]
    public void Selecting_request_without_an_offer_is_naked_by_broadcast()
    {
        var server = Server();
        server.OnDatagram(Request(Mac1, DhcpRequestState.Selecting, PoolStart, ServerIp), T0);
        var sent = Assert.Single(_host.Sent);
        Assert.Equal(new Ipv4Endpoint(Ipv4Address.Broadcast, 68), sent.Destination);
        var nak = sent.Repr;
        Assert.Equal((DhcpMessageType.Nak, Ipv4Address.Any, Ipv4Address.Any), (nak.MessageType, nak.YourAddress, nak.ClientAddress));
        Assert.Equal(ServerIp, nak.ServerIdentifier);
        Assert.Null(nak.LeaseTimeSeconds);
        Assert.Null(nak.SubnetMask);
        Assert.Equal(1, server.Counters.NaksSent);
    }

    [Fact]
    public void Init_reboot_is_acked_for_the_clients_address_naked_for_others_and_silent_when_unknown()
    {
        var server = Server();
        Bind(server, Mac1, T0);
        Bind(server, Mac2, T0);

        server.OnDatagram(Request(Mac1, DhcpRequestState.InitReboot, PoolStart, default), T0);
        Assert.Equal(DhcpMessageType.Ack, _host.Sent[^1].Repr.MessageType);
        server.OnDatagram(Request(Mac1, DhcpRequestState.InitReboot, Ipv4Address.Parse("192.168.2.101"), default), T0);
        Assert.Equal(DhcpMessageType.Nak, _host.Sent[^1].Repr.MessageType);
        server.OnDatagram(Request(Mac1, DhcpRequestState.InitReboot, Ipv4Address.Parse("10.0.0.5"), default), T0);
        Assert.Equal((DhcpMessageType.Nak, "wrong network"), (_host.Sent[^1].Repr.MessageType, _host.Sent[^1].Repr.Message));

        int before = _host.Sent.Count;
        var stranger = MacAddress.Parse("02:00:00:00:01:03");
        server.OnDatagram(Request(stranger, DhcpRequestState.InitReboot, PoolEnd, default), T0);
        Assert.Equal(before, _host.Sent.Count);      // RFC 2131 §4.3.2: no record of the client, remain silent
        server.OnDatagram(Request(stranger, DhcpRequestState.InitReboot, PoolStart, default), T0);
        Assert.Equal(DhcpMessageType.Nak, _host.Sent[^1].Repr.MessageType);   // someone else's address
    }

    [Fact]
    public void Renewal_is_unicast_to_ciaddr_and_extends_the_lease()
    {
        var server = Server();
        Bind(server, Mac1, T0);
        var renewAt = T0 + TimeSpan.FromSeconds(300);
        server.OnDatagram(Request(Mac1, DhcpRequestState.Renewing, PoolStart, default), renewAt);
        var sent = _host.Sent[^1];
        Assert.Equal((new Ipv4Endpoint(PoolStart, 68), (MacAddress?)null), (sent.Destination, sent.Link));
        Assert.Equal((DhcpMessageType.Ack, PoolStart, PoolStart), (sent.Repr.MessageType, sent.Repr.ClientAddress, sent.Repr.YourAddress));
        Assert.Equal(renewAt + TimeSpan.FromSeconds(600), Assert.Single(server.GetLeases()).ExpiresAt);

        // Rebinding with an address that is not the client's is refused.
        server.OnDatagram(Request(Mac1, DhcpRequestState.Rebinding, Ipv4Address.Parse("192.168.2.101"), default), renewAt);
        Assert.Equal(DhcpMessageType.Nak, _host.Sent[^1].Repr.MessageType);
    }

    [Fact]
    public void Leases_and_offers_expire_and_their_addresses_are_reused()
    {
        var server = Server();
        Bind(server, Mac1, T0);                                   // .100 until T0 + 600 s
        server.OnDatagram(Discover(Mac2), T0);                    // .101 offered until T0 + 30 s
        server.Poll(T0 + TimeSpan.FromSeconds(30));
        Assert.Equal([PoolStart], server.GetLeases().Select(l => l.Address));
        server.Poll(T0 + TimeSpan.FromSeconds(600));
        Assert.Empty(server.GetLeases());
        Assert.Equal(2, server.Counters.Expired);
        Assert.Equal(Instant.MaxValue, server.NextDeadline);

        // A renewal after expiry, from a client the server no longer knows, gets silence (RFC 2131 §4.3.2).
        int before = _host.Sent.Count;
        server.OnDatagram(Request(Mac1, DhcpRequestState.Renewing, PoolStart, default), T0 + TimeSpan.FromSeconds(601));
        Assert.Equal(before, _host.Sent.Count);
    }

    [Fact]
    public void Decline_keeps_the_address_out_of_the_pool_for_the_hold_time()
    {
        var server = Server();
        Bind(server, Mac1, T0);
        server.OnDatagram(Emit(DhcpClientMessages.Decline(Id(Mac1), 2, PoolStart, ServerIp)), T0);
        Assert.Empty(server.GetLeases());
        Assert.Equal(T0 + TimeSpan.FromSeconds(300), server.DeclinedAddresses[PoolStart]);

        server.OnDatagram(Discover(Mac1, preferred: PoolStart), T0 + TimeSpan.FromSeconds(1));
        Assert.Equal(Ipv4Address.Parse("192.168.2.101"), _host.Sent[^1].Repr.YourAddress);

        server.Poll(T0 + TimeSpan.FromSeconds(300));
        Assert.Empty(server.DeclinedAddresses);
        server.OnDatagram(Discover(Mac2, preferred: PoolStart), T0 + TimeSpan.FromSeconds(300));
        Assert.Equal(PoolStart, _host.Sent[^1].Repr.YourAddress);
    }

    [Fact]
    public void Release_frees_the_address_and_a_full_pool_offers_nothing()
    {
        var server = Server();
        Bind(server, Mac1, T0);
        Bind(server, Mac2, T0);
        Bind(server, MacAddress.Parse("02:00:00:00:01:03"), T0);
        int before = _host.Sent.Count;
        var fourth = MacAddress.Parse("02:00:00:00:01:04");
        server.OnDatagram(Discover(fourth), T0);
        Assert.Equal(before, _host.Sent.Count);
        Assert.Equal(1, server.Counters.PoolExhausted);

        server.OnDatagram(Emit(DhcpClientMessages.Release(Id(Mac2), 3, Ipv4Address.Parse("192.168.2.101"), ServerIp)), T0);
        server.OnDatagram(Discover(fourth), T0);
        Assert.Equal(Ipv4Address.Parse("192.168.2.101"), _host.Sent[^1].Repr.YourAddress);
    }

    [Fact]
    public void Malformed_and_server_messages_are_ignored_and_counted()
    {
        var server = Server();
        server.OnDatagram([1, 2, 3], T0);
        var offer = Discover(Mac1);
        offer[0] = (byte)DhcpOpcode.BootReply;
        server.OnDatagram(offer, T0);
        var random = new Random(5);
        var valid = Discover(Mac1);
        for (int i = 0; i < 2000; i++)
        {
            var mutated = (byte[])valid.Clone();
            mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8));
            server.OnDatagram(mutated.AsSpan(0, random.Next(1, mutated.Length + 1)), T0);
        }
        Assert.True(server.Counters.Ignored >= 2);
        Assert.All(_host.Sent, s => Assert.Equal(DhcpOpcode.BootReply, s.Repr.Op));
    }

    [Fact]
    public void Options_that_do_not_fit_the_interface_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Server(o => new DhcpServerOptions { PoolStart = Ipv4Address.Parse("10.0.0.1"), PoolEnd = o.PoolEnd }));
        Assert.Throws<ArgumentException>(() => Server(o => new DhcpServerOptions { PoolStart = o.PoolEnd, PoolEnd = o.PoolStart }));
        Assert.Throws<ArgumentException>(() => Server(o => new DhcpServerOptions
        {
            PoolStart = o.PoolStart,
            PoolEnd = o.PoolEnd,
            StaticBindings = new Dictionary<MacAddress, Ipv4Address> { [Mac1] = ServerIp },
        }));
    }

    /// <summary>DISCOVER + SELECTING REQUEST at <paramref name="at"/>: the client holds the address it was offered.</summary>
    private void Bind(DhcpServer server, MacAddress mac, Instant at)
    {
        server.OnDatagram(Discover(mac), at);
        var offered = _host.Sent[^1].Repr.YourAddress;
        server.OnDatagram(Request(mac, DhcpRequestState.Selecting, offered, ServerIp), at);
        Assert.Equal(DhcpMessageType.Ack, _host.Sent[^1].Repr.MessageType);
    }

    private sealed class FakeServerHost : IDhcpServerHost
    {
        public Ipv4Config? Ipv4 { get; } = new(ServerIp, Ipv4Address.MaskFromPrefix(24), Ipv4Address.Parse("192.168.2.254"), []);

        public List<SentReply> Sent { get; } = [];

        public void SendDhcpReply(ReadOnlySpan<byte> payload, Ipv4Endpoint destination, MacAddress? linkDestination) =>
            Sent.Add(new SentReply(payload.ToArray(), destination, linkDestination));
    }

    private sealed record SentReply(byte[] Payload, Ipv4Endpoint Destination, MacAddress? Link)
    {
        public DhcpRepr Repr
        {
            get
            {
                Assert.True(DhcpMessage.TryCreate(Payload, out var m));
                Assert.True(DhcpRepr.TryParse(m, out var r));
                return r;
            }
        }
    }
}
