using Mip.Stack.Sockets.Dns;
using Mip.Stack.Tests.Wire;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Dns;

public sealed class DnsResolverTests
{
    private static readonly Ipv4Address Server1 = new(192, 168, 2, 1);
    private static readonly Ipv4Address Server2 = new(192, 168, 2, 2);
    private static readonly Instant T0 = Instant.FromSeconds(1000);

    private readonly FakeDnsTransport _transport = new();

    public DnsResolverTests()
    {
        _transport.ServerList.AddRange([Server1, Server2]);
    }

    [Fact]
    public void Sends_a_recursive_a_query_from_a_random_ephemeral_port()
    {
        var resolver = NewResolver();
        resolver.BeginResolve("Example.com", T0);

        var query = Assert.Single(_transport.Sent);
        Assert.Equal(Server1, query.Server);
        Assert.InRange(query.SourcePort, DnsResolver.EphemeralPortFirst, DnsResolver.EphemeralPortLast);
        Assert.True(resolver.OwnsPort(query.SourcePort));
        // ID, flags RD, one question "example.com" A IN; the name goes out as the caller spelled it.
        Assert.Equal($"{query.Id:x4}01000001000000000000074578616d706c6503636f6d0000010001", Convert.ToHexStringLower(query.Payload));
        Assert.Equal(1, resolver.Counters.QueriesSent);
        Assert.Equal(T0 + TimeSpan.FromSeconds(2), resolver.NextDeadline);
    }

    [Fact]
    public void Resolves_from_a_dnsmasq_style_response()
    {
        var resolver = NewResolver();
        int handle = resolver.BeginResolve("example.com", T0);
        Assert.False(resolver.TryGetResult(handle, out _));

        var query = _transport.Sent[0];
        resolver.OnDatagram(WithId(DnsFixtures.ExampleComA, query.Id), query.ServerEndpoint, query.SourcePort, T0 + TimeSpan.FromMilliseconds(3));

        Assert.True(resolver.TryGetResult(handle, out var result));
        Assert.Equal(DnsResolveStatus.Success, result.Status);
        Assert.Equal("example.com", result.Name);
        Assert.Equal("example.com", result.CanonicalName);
        Assert.Equal([new Ipv4Address(93, 184, 216, 34)], result.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(3600), result.Ttl);
        Assert.Equal(Server1, result.Server);
        Assert.False(result.FromCache);
        Assert.False(resolver.OwnsPort(query.SourcePort));
        Assert.Equal(Instant.MaxValue, resolver.NextDeadline);
        Assert.False(resolver.TryGetResult(handle, out _));   // taken: the handle is freed
    }

    [Fact]
    public void Follows_a_cname_chain_to_the_canonical_name()
    {
        var resolver = NewResolver();
        int handle = resolver.BeginResolve("WWW.lab.test", T0);
        var query = _transport.Sent[0];
        resolver.OnDatagram(WithId(DnsFixtures.WwwLabTestCname, query.Id), query.ServerEndpoint, query.SourcePort, T0);

        var result = Result(resolver, handle);
        Assert.Equal(DnsResolveStatus.Success, result.Status);
        Assert.Equal("WWW.lab.test", result.Name);
        Assert.Equal("web.lab.test", result.CanonicalName);
        Assert.Equal([new Ipv4Address(192, 168, 2, 50)], result.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(60), result.Ttl);   // min(CNAME 300, A 60)
    }

    [Fact]
    public void Follows_a_chain_given_out_of_order_and_skips_other_types()
    {
        var resolver = NewResolver();
        int handle = resolver.BeginResolve("a.lab", T0);
        var query = _transport.Sent[0];
        byte[] response = DnsMessageBuilder.Response(query.Id).Question("a.lab")
            .A("c.lab", 500, "10.0.0.3")
            .Aaaa("c.lab", 500, "20010db8000000000000000000000003")
            .Cname("b.lab", 400, "c.lab")
            .A("c.lab", 30, "10.0.0.4")
            .A("other.lab", 1, "10.9.9.9")
            .Cname("a.lab", 700, "b.lab")
            .Build();
        resolver.OnDatagram(response, query.ServerEndpoint, query.SourcePort, T0);

        var result = Result(resolver, handle);
        Assert.Equal("c.lab", result.CanonicalName);
        Assert.Equal([new Ipv4Address(10, 0, 0, 3), new Ipv4Address(10, 0, 0, 4)], result.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(30), result.Ttl);
    }

    [Fact]
    public void Cname_loop_fails_instead_of_spinning()
    {
        var resolver = NewResolver();
        int handle = resolver.BeginResolve("a.lab", T0);
        var query = _transport.Sent[0];
        byte[] response = DnsMessageBuilder.Response(query.Id).Question("a.lab")
            .Cname("a.lab", 60, "b.lab").Cname("b.lab", 60, "a.lab").Build();
        resolver.OnDatagram(response, query.ServerEndpoint, query.SourcePort, T0);

        Assert.Equal(DnsResolveStatus.ServerFailure, Result(resolver, handle).Status);
    }

    [Fact]
    public void Name_not_found_is_cached_negatively_for_the_soa_minimum()
    {
        var resolver = NewResolver();
        int handle = resolver.BeginResolve("nope.lab.test", T0);
        var query = _transport.Sent[0];
        byte[] nxdomain = DnsMessageBuilder.Response(query.Id, DnsResponseCode.NameError).Question("nope.lab.test")
            .Soa("lab.test", ttl: 600, minimum: 60).Build();
        resolver.OnDatagram(nxdomain, query.ServerEndpoint, query.SourcePort, T0);

        var result = Result(resolver, handle);
        Assert.Equal(DnsResolveStatus.NameNotFound, result.Status);
        Assert.Empty(result.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(60), result.Ttl);   // RFC 2308 §5: min(SOA TTL 600, MINIMUM 60)

        var again = Result(resolver, resolver.BeginResolve("NOPE.lab.test.", T0 + TimeSpan.FromSeconds(59)));
        Assert.Equal(DnsResolveStatus.NameNotFound, again.Status);
        Assert.True(again.FromCache);
        Assert.Equal(TimeSpan.FromSeconds(1), again.Ttl);
        Assert.Single(_transport.Sent);

        int late = resolver.BeginResolve("nope.lab.test", T0 + TimeSpan.FromSeconds(60));
        Assert.False(resolver.TryGetResult(late, out _));
        Assert.Equal(2, _transport.Sent.Count);
    }

    [Fact]
    public void Negative_answer_without_soa_is_not_cached_and_cap_applies()
    {
        var resolver = NewResolver(new DnsResolverOptions { MaxNegativeTtl = TimeSpan.FromSeconds(10) });
        int first = resolver.BeginResolve("gone.lab", T0);
        var q1 = _transport.Sent[0];
        resolver.OnDatagram(DnsMessageBuilder.Response(q1.Id, DnsResponseCode.NameError).Question("gone.lab").Build(),
            q1.ServerEndpoint, q1.SourcePort, T0);
        Assert.Equal(DnsResolveStatus.NameNotFound, Result(resolver, first).Status);

        int second = resolver.BeginResolve("gone.lab", T0);
        Assert.False(resolver.TryGetResult(second, out _));   // not cached: a new query went out
        var q2 = _transport.Sent[1];
        resolver.OnDatagram(DnsMessageBuilder.Response(q2.Id, DnsResponseCode.NameError).Question("gone.lab")
            .Soa("lab", 3600, 3600).Build(), q2.ServerEndpoint, q2.SourcePort, T0);
        Assert.Equal(TimeSpan.FromSeconds(10), Result(resolver, second).Ttl);
    }

    [Fact]
    public void Name_without_a_records_is_no_data()
    {
        var resolver = NewResolver();
        int handle = resolver.BeginResolve("v6only.lab", T0);
        var query = _transport.Sent[0];
        byte[] response = DnsMessageBuilder.Response(query.Id).Question("v6only.lab")
            .Aaaa("v6only.lab", 300, "20010db8000000000000000000000001")
            .Soa("lab", 300, 120).Build();
        resolver.OnDatagram(response, query.ServerEndpoint, query.SourcePort, T0);

        var result = Result(resolver, handle);
        Assert.Equal(DnsResolveStatus.NoData, result.Status);
        Assert.Equal("v6only.lab", result.CanonicalName);
        Assert.Equal(TimeSpan.FromSeconds(120), result.Ttl);
        Assert.True(Result(resolver, resolver.BeginResolve("v6only.lab", T0)).FromCache);
    }

    [Fact]
    public void Server_failure_moves_to_the_next_server_at_once()
    {
        var resolver = NewResolver();
        int handle = resolver.BeginResolve("example.com", T0);
        var first = _transport.Sent[0];
        byte[] servfail = DnsMessageBuilder.Response(first.Id, DnsResponseCode.ServerFailure).Question("example.com").Build();
        var t1 = T0 + TimeSpan.FromMilliseconds(40);
        resolver.OnDatagram(servfail, first.ServerEndpoint, first.SourcePort, t1);

        Assert.Equal(2, _transport.Sent.Count);
        var second = _transport.Sent[1];
        Assert.Equal(Server2, second.Server);
        Assert.NotEqual(first.SourcePort, second.SourcePort);
        Assert.Equal(t1 + TimeSpan.FromSeconds(2), resolver.NextDeadline);
        resolver.OnDatagram(WithId(DnsFixtures.ExampleComA, second.Id), second.ServerEndpoint, second.SourcePort, t1);

        var result = Result(resolver, handle);
        Assert.Equal(DnsResolveStatus.Success, result.Status);
        Assert.Equal(Server2, result.Server);
        Assert.Equal(1, resolver.Counters.Retries);
    }

    [Fact]
    public void Every_server_refusing_is_a_server_failure()
    {
        var resolver = NewResolver(new DnsResolverOptions { AttemptsPerServer = 1 });
        int handle = resolver.BeginResolve("example.com", T0);
        for (int i = 0; i < 2; i++)
        {
            var query = _transport.Sent[i];
            resolver.OnDatagram(DnsMessageBuilder.Response(query.Id, DnsResponseCode.Refused).Question("example.com").Build(),
                query.ServerEndpoint, query.SourcePort, T0);
        }
        Assert.Equal(2, _transport.Sent.Count);
        Assert.Equal(DnsResolveStatus.ServerFailure, Result(resolver, handle).Status);
    }

    [Fact]
    public void Retries_round_robin_on_timeout_with_exact_timing()
    {
        var resolver = NewResolver();   // 2 s per attempt, 2 attempts per server, 2 servers
        int handle = resolver.BeginResolve("example.com", T0);
        var expected = new[] { Server1, Server2, Server1, Server2 };
        for (int attempt = 0; attempt < 4; attempt++)
        {
            var deadline = T0 + TimeSpan.FromSeconds(2 * (attempt + 1));
            Assert.Equal(deadline, resolver.NextDeadline);
            resolver.Poll(deadline - TimeSpan.FromTicks(10));   // one microsecond early: nothing happens
            Assert.Equal(attempt + 1, _transport.Sent.Count);
            Assert.Equal(expected[attempt], _transport.Sent[attempt].Server);
            resolver.Poll(deadline);
        }
        Assert.Equal(4, _transport.Sent.Count);
        var result = Result(resolver, handle);
        Assert.Equal(DnsResolveStatus.Timeout, result.Status);
        Assert.Equal(Ipv4Address.Any, result.Server);
        Assert.Equal((4, 3, 4), (resolver.Counters.QueriesSent, resolver.Counters.Retries, resolver.Counters.Timeouts));
        Assert.Equal(Instant.MaxValue, resolver.NextDeadline);
        Assert.Equal(4, _transport.Sent.Select(q => q.SourcePort).Distinct().Count());
    }

    [Fact]
    public void Late_answer_to_an_earlier_attempt_is_still_accepted()
    {
        var resolver = NewResolver();
        int handle = resolver.BeginResolve("example.com", T0);
        resolver.Poll(T0 + TimeSpan.FromSeconds(2));
        Assert.Equal(2, _transport.Sent.Count);
        var first = _transport.Sent[0];
        resolver.OnDatagram(WithId(DnsFixtures.ExampleComA, first.Id), first.ServerEndpoint, first.SourcePort, T0 + TimeSpan.FromSeconds(2.5));

        var result = Result(resolver, handle);
        Assert.Equal(DnsResolveStatus.Success, result.Status);
        Assert.Equal(Server1, result.Server);
        Assert.False(resolver.OwnsPort(_transport.Sent[1].SourcePort));
    }

    [Fact]
    public void Spoofed_responses_are_counted_and_ignored()
    {
        var resolver = NewResolver();
        int handle = resolver.BeginResolve("example.com", T0);
        var query = _transport.Sent[0];
        byte[] genuine = WithId(DnsFixtures.ExampleComA, query.Id);

        resolver.OnDatagram(WithId(DnsFixtures.ExampleComA, (ushort)(query.Id ^ 1)), query.ServerEndpoint, query.SourcePort, T0);
        resolver.OnDatagram(genuine, new Ipv4Endpoint(Server2, 53), query.SourcePort, T0);           // other server
        resolver.OnDatagram(genuine, new Ipv4Endpoint(Server1, 5353), query.SourcePort, T0);         // not port 53
        resolver.OnDatagram(genuine, query.ServerEndpoint, (ushort)(query.SourcePort ^ 1), T0);     // other local port
        resolver.OnDatagram(WithId(DnsFixtures.WwwLabTestCname, query.Id), query.ServerEndpoint, query.SourcePort, T0);
        byte[] asQuery = (byte[])genuine.Clone();
        asQuery[2] &= 0x7f;   // QR clear: a query, not a response
        resolver.OnDatagram(asQuery, query.ServerEndpoint, query.SourcePort, T0);
        resolver.OnDatagram(genuine.AsSpan(0, 11), query.ServerEndpoint, query.SourcePort, T0);

        Assert.False(resolver.TryGetResult(handle, out _));
        var c = resolver.Counters;
        Assert.Equal((1, 2, 1, 1, 2), (c.RejectedBadId, c.RejectedWrongSource, c.RejectedUnknownPort, c.RejectedQuestionMismatch, c.RejectedMalformed));

        resolver.OnDatagram(genuine, query.ServerEndpoint, query.SourcePort, T0);
        Assert.Equal(DnsResolveStatus.Success, Result(resolver, handle).Status);
    }

    [Fact]
    public void Response_with_a_compression_loop_is_rejected()
    {
        var resolver = NewResolver();
        int handle = resolver.BeginResolve("example.com", T0);
        var query = _transport.Sent[0];
        byte[] looped = WithId(DnsFixtures.ExampleComA, query.Id);
        looped[29] = 0xC0;   // the answer's owner pointer now points at itself (offset 29)
        looped[30] = 29;
        resolver.OnDatagram(looped, query.ServerEndpoint, query.SourcePort, T0);

        Assert.False(resolver.TryGetResult(handle, out _));
        Assert.Equal(1, resolver.Counters.RejectedMalformed);
    }

    [Fact]
    public void Every_truncation_of_an_answer_is_ignored_without_throwing()
    {
        var resolver = NewResolver();
        int handle = resolver.BeginResolve("www.lab.test", T0);
        var query = _transport.Sent[0];
        byte[] response = WithId(DnsFixtures.WwwLabTestCname, query.Id);
        for (int length = 0; length < response.Length; length++)
        {
            resolver.OnDatagram(response.AsSpan(0, length), query.ServerEndpoint, query.SourcePort, T0);
            Assert.False(resolver.TryGetResult(handle, out _), $"accepted a {length}-byte prefix");
        }
        resolver.OnDatagram(response, query.ServerEndpoint, query.SourcePort, T0);
        Assert.Equal(DnsResolveStatus.Success, Result(resolver, handle).Status);
    }

    [Fact]
    public void Truncated_answer_is_used_when_it_holds_an_address_but_not_cached()
    {
        var resolver = NewResolver();
        int handle = resolver.BeginResolve("big.lab", T0);
        var query = _transport.Sent[0];
        byte[] full = DnsMessageBuilder.Response(query.Id, truncated: true).Question("big.lab")
            .A("big.lab", 300, "10.0.0.1").A("big.lab", 300, "10.0.0.2").Build();
        // The server cut the message in the middle of the second record, as TC allows.
        resolver.OnDatagram(full.AsSpan(0, full.Length - 3), query.ServerEndpoint, query.SourcePort, T0);

        var result = Result(resolver, handle);
        Assert.Equal(DnsResolveStatus.Success, result.Status);
        Assert.Equal([new Ipv4Address(10, 0, 0, 1)], result.Addresses);
        Assert.False(resolver.TryGetResult(resolver.BeginResolve("big.lab", T0), out _));   // RFC 2181 §9: not cached
    }

    [Fact]
    public void Truncated_answer_without_an_address_reports_truncated()
    {
        var resolver = NewResolver();
        int handle = resolver.BeginResolve("big.lab", T0);
        var query = _transport.Sent[0];
        byte[] response = DnsMessageBuilder.Response(query.Id, truncated: true).Question("big.lab").Build();
        resolver.OnDatagram(response, query.ServerEndpoint, query.SourcePort, T0);
        Assert.Equal(DnsResolveStatus.Truncated, Result(resolver, handle).Status);
    }

    [Fact]
    public void Cache_answers_within_the_ttl_and_asks_again_after()
    {
        var resolver = NewResolver();
        Answer(resolver, "example.com", ttl: 300, "10.1.2.3", T0);

        var hit = Result(resolver, resolver.BeginResolve("EXAMPLE.com", T0 + TimeSpan.FromSeconds(299)));
        Assert.Equal(DnsResolveStatus.Success, hit.Status);
        Assert.True(hit.FromCache);
        Assert.Equal("EXAMPLE.com", hit.Name);
        Assert.Equal(TimeSpan.FromSeconds(1), hit.Ttl);
        Assert.Equal([new Ipv4Address(10, 1, 2, 3)], hit.Addresses);
        Assert.Single(_transport.Sent);
        Assert.Equal(1, resolver.Counters.CacheHits);

        int miss = resolver.BeginResolve("example.com", T0 + TimeSpan.FromSeconds(300));
        Assert.False(resolver.TryGetResult(miss, out _));
        Assert.Equal(2, _transport.Sent.Count);
    }

    [Fact]
    public void Ttls_are_clamped_and_zero_is_not_cached()
    {
        var resolver = NewResolver(new DnsResolverOptions { MinTtl = TimeSpan.FromSeconds(5), MaxTtl = TimeSpan.FromSeconds(100) });
        Assert.Equal(TimeSpan.FromSeconds(5), Answer(resolver, "short.lab", ttl: 1, "10.0.0.1", T0).Ttl);
        Assert.Equal(TimeSpan.FromSeconds(100), Answer(resolver, "long.lab", ttl: 86400, "10.0.0.2", T0).Ttl);
        Assert.True(Result(resolver, resolver.BeginResolve("short.lab", T0 + TimeSpan.FromSeconds(4))).FromCache);

        var plain = NewResolver();
        Answer(plain, "zero.lab", ttl: 0, "10.0.0.3", T0);
        Assert.False(plain.TryGetResult(plain.BeginResolve("zero.lab", T0), out _));
    }

    [Fact]
    public void Full_cache_evicts_the_entry_closest_to_expiry()
    {
        var resolver = NewResolver(new DnsResolverOptions { CacheCapacity = 2 });
        Answer(resolver, "a.lab", ttl: 100, "10.0.0.1", T0);
        Answer(resolver, "b.lab", ttl: 50, "10.0.0.2", T0);
        Answer(resolver, "c.lab", ttl: 200, "10.0.0.3", T0);
        Assert.Equal(2, resolver.CachedNames);
        Assert.True(Result(resolver, resolver.BeginResolve("a.lab", T0)).FromCache);
        Assert.True(Result(resolver, resolver.BeginResolve("c.lab", T0)).FromCache);
        Assert.False(resolver.TryGetResult(resolver.BeginResolve("b.lab", T0), out _));

        resolver.Flush();
        Assert.Equal(0, resolver.CachedNames);
    }

    [Theory]
    [InlineData("192.168.2.77")]
    [InlineData("0.0.0.0")]
    public void Dotted_quad_completes_at_once_without_a_query(string literal)
    {
        var resolver = NewResolver();
        var result = Result(resolver, resolver.BeginResolve(literal, T0));
        Assert.Equal(DnsResolveStatus.Success, result.Status);
        Assert.Equal([Ipv4Address.Parse(literal)], result.Addresses);
        Assert.Empty(_transport.Sent);
    }

    [Fact]
    public void Localhost_is_loopback_without_a_query()
    {
        var resolver = NewResolver();
        var result = Result(resolver, resolver.BeginResolve("LocalHost.", T0));
        Assert.Equal([new Ipv4Address(127, 0, 0, 1)], result.Addresses);
        Assert.Empty(_transport.Sent);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a..b")]
    [InlineData("has space.lab")]
    [InlineData("1.2.3.999")]
    [InlineData("host.123")]
    [InlineData("\u00fcber.lab")]
    public void Invalid_names_complete_at_once_with_a_reason(string name)
    {
        var resolver = NewResolver();
        var result = Result(resolver, resolver.BeginResolve(name, T0));
        Assert.Equal(DnsResolveStatus.InvalidName, result.Status);
        Assert.False(string.IsNullOrEmpty(result.Detail));
        Assert.Empty(_transport.Sent);
    }

    [Fact]
    public void Overlong_names_are_invalid()
    {
        var resolver = NewResolver();
        Assert.Equal(DnsResolveStatus.InvalidName, Result(resolver, resolver.BeginResolve(new string('a', 64) + ".lab", T0)).Status);
        string name = string.Join('.', Enumerable.Repeat(new string('b', 63), 4));
        Assert.Equal(DnsResolveStatus.InvalidName, Result(resolver, resolver.BeginResolve(name, T0)).Status);
    }

    [Fact]
    public void Identical_names_in_flight_share_one_query()
    {
        var resolver = NewResolver();
        int first = resolver.BeginResolve("example.com", T0);
        int second = resolver.BeginResolve("EXAMPLE.COM.", T0 + TimeSpan.FromMilliseconds(500));
        Assert.NotEqual(first, second);
        var query = Assert.Single(_transport.Sent);
        Assert.Equal(1, resolver.QueriesInFlight);
        Assert.Equal(1, resolver.Counters.SharedQueries);

        resolver.OnDatagram(WithId(DnsFixtures.ExampleComA, query.Id), query.ServerEndpoint, query.SourcePort, T0 + TimeSpan.FromSeconds(1));
        var a = Result(resolver, first);
        var b = Result(resolver, second);
        Assert.Equal(("example.com", "EXAMPLE.COM."), (a.Name, b.Name));
        Assert.Equal(a.Addresses, b.Addresses);
    }

    [Fact]
    public void Cancel_completes_the_handle_and_stops_an_unshared_query()
    {
        var resolver = NewResolver();
        int shared1 = resolver.BeginResolve("example.com", T0);
        int shared2 = resolver.BeginResolve("example.com", T0);
        int alone = resolver.BeginResolve("other.lab", T0);
        var other = _transport.Sent[1];

        resolver.Cancel(alone);
        Assert.Equal(DnsResolveStatus.Cancelled, Result(resolver, alone).Status);
        Assert.False(resolver.OwnsPort(other.SourcePort));
        resolver.Cancel(shared1);
        Assert.Equal(DnsResolveStatus.Cancelled, Result(resolver, shared1).Status);
        Assert.Equal(1, resolver.QueriesInFlight);

        var query = _transport.Sent[0];
        resolver.OnDatagram(WithId(DnsFixtures.ExampleComA, query.Id), query.ServerEndpoint, query.SourcePort, T0);
        Assert.Equal(DnsResolveStatus.Success, Result(resolver, shared2).Status);
        resolver.Cancel(shared2);   // already taken: nothing happens
        Assert.Equal(0, resolver.QueriesInFlight);
    }

    [Fact]
    public void Distinct_names_beyond_the_in_flight_bound_are_refused_but_sharing_still_works()
    {
        var resolver = NewResolver(new DnsResolverOptions { MaxQueriesInFlight = 2 });
        int a = resolver.BeginResolve("a.lab", T0);
        resolver.BeginResolve("b.lab", T0);
        var refused = Result(resolver, resolver.BeginResolve("c.lab", T0));
        Assert.Equal(DnsResolveStatus.Overloaded, refused.Status);
        int joined = resolver.BeginResolve("a.lab", T0);
        Assert.False(resolver.TryGetResult(joined, out _));
        Assert.Equal(2, _transport.Sent.Count);

        resolver.Cancel(a);
        resolver.Cancel(joined);
        Assert.False(resolver.TryGetResult(resolver.BeginResolve("c.lab", T0), out _));   // a slot is free again
        Assert.Equal(3, _transport.Sent.Count);
    }

    [Fact]
    public void No_usable_servers_completes_at_once()
    {
        _transport.ServerList.Clear();
        var resolver = NewResolver();
        Assert.Equal(DnsResolveStatus.NoServers, Result(resolver, resolver.BeginResolve("example.com", T0)).Status);
        _transport.ServerList.Add(Ipv4Address.Any);   // DHCP lists padded with 0.0.0.0 count as empty
        Assert.Equal(DnsResolveStatus.NoServers, Result(resolver, resolver.BeginResolve("example.com", T0)).Status);
        Assert.Empty(_transport.Sent);
    }

    [Fact]
    public void Unspecified_servers_are_skipped_in_the_rotation()
    {
        _transport.ServerList.Clear();
        _transport.ServerList.AddRange([Ipv4Address.Any, Server2, Ipv4Address.Any]);
        var resolver = NewResolver();
        int handle = resolver.BeginResolve("example.com", T0);
        resolver.Poll(T0 + TimeSpan.FromSeconds(2));
        resolver.Poll(T0 + TimeSpan.FromSeconds(4));
        Assert.Equal([Server2, Server2], _transport.Sent.Select(q => q.Server));
        Assert.Equal(DnsResolveStatus.Timeout, Result(resolver, handle).Status);
    }

    [Fact]
    public void Unsendable_query_waits_out_its_timeout()
    {
        _transport.CanSend = false;
        var resolver = NewResolver();
        int handle = resolver.BeginResolve("example.com", T0);
        Assert.Equal(1, resolver.Counters.SendFailures);
        Assert.Equal(0, resolver.Counters.QueriesSent);
        Assert.Equal(T0 + TimeSpan.FromSeconds(2), resolver.NextDeadline);
        Assert.False(resolver.TryGetResult(handle, out _));
    }

    [Fact]
    public void Ids_and_ports_follow_the_injected_random()
    {
        var a = new FakeDnsTransport();
        var b = new FakeDnsTransport();
        a.ServerList.Add(Server1);
        b.ServerList.Add(Server1);
        new DnsResolver(a, new DnsResolverOptions(), new Random(5)).BeginResolve("x.lab", T0);
        new DnsResolver(b, new DnsResolverOptions(), new Random(5)).BeginResolve("x.lab", T0);
        Assert.Equal(a.Sent[0].Payload, b.Sent[0].Payload);
        Assert.Equal(a.Sent[0].SourcePort, b.Sent[0].SourcePort);
    }

    private DnsResolver NewResolver(DnsResolverOptions? options = null) =>
        new(_transport, options ?? new DnsResolverOptions(), new Random(42));

    /// <summary>Resolves <paramref name="name"/> with a one-record answer from the first server.</summary>
    private DnsResult Answer(DnsResolver resolver, string name, uint ttl, string address, Instant now)
    {
        int handle = resolver.BeginResolve(name, now);
        var query = _transport.Sent[^1];
        byte[] response = DnsMessageBuilder.Response(query.Id).Question(query.Name).A(name, ttl, address).Build();
        resolver.OnDatagram(response, query.ServerEndpoint, query.SourcePort, now);
        return Result(resolver, handle);
    }

    private static DnsResult Result(DnsResolver resolver, int handle)
    {
        Assert.True(resolver.TryGetResult(handle, out var result), "the request is still pending");
        return result;
    }

    private static byte[] WithId(string hex, ushort id)
    {
        byte[] message = DnsFixtures.Bytes(hex);
        message[0] = (byte)(id >> 8);
        message[1] = (byte)id;
        return message;
    }
}
