using Google.Rpc;
using Grpc.Core;
using Mip.EndToEnd.Tests.Lab;
using Mip.Grpc.V1;

namespace Mip.EndToEnd.Tests.Grpc;

/// <summary>StackService against the real server on a veth lab with dnsmasq: status, ARP, events, ping, DNS.</summary>
public sealed class StackServiceEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_watcher_gets_the_snapshot_then_the_DHCP_lease_address_and_ARP_entry_live()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        // The server starts before any DHCP server exists, so the lease can only arrive as a live event.
        using var server = new MipServerProcess(lab);
        var client = new StackService.StackServiceClient(server.Channel);
        using var cts = new CancellationTokenSource(Timeout * 2);
        using var watch = client.WatchEvents(new WatchEventsRequest(), cancellationToken: cts.Token);
        var stream = watch.ResponseStream;

        var snapshot = new List<WatchEventsResponse>();
        while (await stream.MoveNext(cts.Token))
        {
            snapshot.Add(stream.Current);
            if (stream.Current.EventCase == WatchEventsResponse.EventOneofCase.SnapshotComplete)
            {
                break;
            }
        }
        Assert.All(snapshot, m => Assert.True(m.Snapshot));
        Assert.True(snapshot.Single(m => m.EventCase == WatchEventsResponse.EventOneofCase.Link).Link.Up);
        Assert.Null(snapshot.Single(m => m.EventCase == WatchEventsResponse.EventOneofCase.Address).Address.Ipv4);

        lab.StartDnsmasq();
        DhcpEvent? acquired = null;
        AddressEvent? address = null;
        ArpEvent? gateway = null;
        var live = new List<WatchEventsResponse>();
        bool pinged = false;
        while (acquired is null || address is null || gateway is null)
        {
            if (address is not null && !pinged)
            {
                // Talking to the gateway makes the stack resolve it: the ARP entry then arrives as an event.
                pinged = true;
                using var ping = client.Ping(new PingRequest { Host = "192.168.2.1", Count = 1 }, cancellationToken: cts.Token);
                await foreach (var reply in ping.ResponseStream.ReadAllAsync(cts.Token))
                {
                    Assert.True(reply.Replied);
                }
            }
            bool more;
            try
            {
                more = await stream.MoveNext(cts.Token);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
            {
                more = false;
            }
            Assert.True(more, $"events so far: {string.Join("; ", live)}\n{server.Output}");
            var m = stream.Current;
            live.Add(m);
            Assert.False(m.Snapshot);
            switch (m.EventCase)
            {
                case WatchEventsResponse.EventOneofCase.Dhcp when m.Dhcp.Kind == DhcpEventKind.Acquired:
                    acquired = m.Dhcp;
                    break;
                case WatchEventsResponse.EventOneofCase.Address when m.Address.Ipv4 is not null:
                    address = m.Address;
                    break;
                case WatchEventsResponse.EventOneofCase.Arp when m.Arp.Entry.Address == LabNetwork.KernelAddress.ToString():
                    gateway = m.Arp;
                    break;
            }
        }
        Assert.NotNull(acquired);
        Assert.Equal("192.168.2.1", acquired.Lease.Server);
        Assert.Equal(120u, acquired.Lease.LeaseSeconds);
        // RFC 2131 §4.4.5 defaults: T1 = 0.5, T2 = 0.875 of the lease, all from the acquisition time.
        var acquiredAt = acquired.Lease.AcquiredTime.ToDateTimeOffset();
        Assert.InRange((acquired.Lease.RenewTime.ToDateTimeOffset() - acquiredAt).TotalSeconds, 59, 61);
        Assert.InRange((acquired.Lease.ExpireTime.ToDateTimeOffset() - acquiredAt).TotalSeconds, 119, 121);
        Assert.InRange((DateTimeOffset.UtcNow - acquiredAt).TotalSeconds, -1, 15);
        Assert.Equal(AddressSource.Dhcp, address!.Ipv4.Source);
        Assert.Equal(24u, address.Ipv4.PrefixLength);
        Assert.Equal("192.168.2.1", address.Ipv4.Gateway);
        Assert.Equal(acquired.Address, address.Ipv4.Address);
        Assert.Equal(ArpEventKind.Added, gateway!.Kind);
        Assert.Equal(lab.KernelMac.ToString(), gateway.Entry.Mac);

        var status = await client.GetStatusAsync(new GetStatusRequest(), cancellationToken: cts.Token);
        Assert.Equal("my0", status.Interface.Name);
        Assert.Equal(lab.StackNamespace, status.Interface.Netns);
        Assert.Equal(1500u, status.Interface.MtuBytes);
        Assert.True(status.Interface.LinkUp);
        Assert.NotEqual(lab.StackInterfaceMac.ToString(), status.Interface.Mac);
        Assert.Equal(acquired.Address, status.Ipv4.Address);
        Assert.Equal(AddressSource.Dhcp, status.Ipv4.Source);
        Assert.Equal(["192.168.2.1"], status.Ipv4.DnsServers);
        Assert.True(status.Counters.FramesReceived >= 2); // OFFER and ACK at least
        Assert.True(status.Counters.FramesSent >= 2);     // DISCOVER and REQUEST at least
        Assert.True(status.Counters.BytesReceived > 2 * 300);

        var arp = await client.ListArpEntriesAsync(new ListArpEntriesRequest(), cancellationToken: cts.Token);
        var entry = Assert.Single(arp.Entries, e => e.Address == "192.168.2.1");
        Assert.Equal(ArpEntryState.Reachable, entry.State);
        Assert.Equal(lab.KernelMac.ToString(), entry.Mac);
    }

    [Fact]
    public async Task Ping_streams_one_reply_per_request_and_timeouts_for_a_silent_host()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq(addresses: new Dictionary<string, string> { ["gw.lab"] = "192.168.2.1" });
        using var server = new MipServerProcess(lab);
        Assert.True(server.WaitForOutput("READY, IP:", Timeout), server.Output);
        var client = new StackService.StackServiceClient(server.Channel);

        // By name, through the stack's resolver.
        using var ping = client.Ping(new PingRequest { Host = "gw.lab", Count = 3, IntervalMs = 200, TimeoutMs = 1000 }, cancellationToken: Ct);
        var replies = new List<PingResponse>();
        await foreach (var r in ping.ResponseStream.ReadAllAsync(Ct))
        {
            replies.Add(r);
        }
        Assert.Equal([1u, 2u, 3u], replies.Select(r => r.Sequence).Order());
        Assert.All(replies, r =>
        {
            Assert.True(r.Replied);
            Assert.Equal("192.168.2.1", r.From);
            Assert.Equal(64u, r.Ttl);
            Assert.InRange(r.RttUs, 1ul, 200_000ul);
        });

        // An on-link address nobody owns: ARP gives up, each request reports a failure or a timeout.
        using var silent = client.Ping(new PingRequest { Host = "192.168.2.222", Count = 2, IntervalMs = 100, TimeoutMs = 300 }, cancellationToken: Ct);
        var misses = new List<PingResponse>();
        await foreach (var r in silent.ResponseStream.ReadAllAsync(Ct))
        {
            misses.Add(r);
        }
        Assert.Equal(2, misses.Count);
        Assert.All(misses, r => Assert.False(r.Replied));

        // Every bad field is reported at once, as BadRequest field violations.
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var bad = client.Ping(new PingRequest { Host = "", Count = 10_001, TimeoutMs = 60_001 }, cancellationToken: Ct);
            await bad.ResponseStream.MoveNext(Ct);
        });
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var badRequest = ex.GetRpcStatus()!.GetDetail<BadRequest>();
        Assert.Equal(["host", "count", "timeout_ms"], badRequest.FieldViolations.Select(v => v.Field));
    }

    [Fact]
    public async Task Resolve_answers_names_and_maps_NXDOMAIN_to_NotFound()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq(addresses: new Dictionary<string, string> { ["demo.lab"] = "192.168.2.50" });
        using var server = new MipServerProcess(lab);
        Assert.True(server.WaitForOutput("READY, IP:", Timeout), server.Output);
        var client = new StackService.StackServiceClient(server.Channel);

        var first = await client.ResolveAsync(new ResolveRequest { Name = "demo.lab" }, cancellationToken: Ct);
        Assert.Equal(["192.168.2.50"], first.Addresses);
        Assert.Equal("demo.lab", first.CanonicalName);
        Assert.False(first.FromCache);
        Assert.InRange(first.TtlSeconds, 1u, 300u);
        var second = await client.ResolveAsync(new ResolveRequest { Name = "demo.lab" }, cancellationToken: Ct);
        Assert.True(second.FromCache);

        // The lab's dnsmasq owns .lab (--local=/lab/): an unlisted name there is NXDOMAIN. Outside its zones, with no
        // upstream (--no-resolv), it cannot answer at all: a server failure, not "no such name".
        var ex = await Assert.ThrowsAsync<RpcException>(() => client.ResolveAsync(new ResolveRequest { Name = "nosuch.lab" }, cancellationToken: Ct).ResponseAsync);
        var info = ex.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal("mip.v1", info.Domain);
        Assert.Equal((StatusCode.NotFound, "NAME_NOT_FOUND"), (ex.StatusCode, info.Reason));
        var unanswered = await Assert.ThrowsAsync<RpcException>(() => client.ResolveAsync(new ResolveRequest { Name = "nosuch.invalid" }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, unanswered.StatusCode);
        Assert.Equal("DNS_SERVER_FAILURE", unanswered.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);

        var invalid = await Assert.ThrowsAsync<RpcException>(() => client.ResolveAsync(new ResolveRequest { Name = "bad..name" }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
    }
}
