using Mip.Grpc.V1;
using Mip.Server.Grpc;
using Mip.Stack;
using Mip.Stack.Iface;
using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Wire;

namespace Mip.Server.Tests.Grpc;

public sealed class EventMapperTests
{
    private static readonly StackClock Clock = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static readonly Mip.Stack.Sockets.Dhcp.DhcpLease Lease = new(
        new Ipv4Address(192, 168, 2, 21), new Ipv4Address(255, 255, 255, 0), new Ipv4Address(192, 168, 2, 1),
        [new Ipv4Address(192, 168, 2, 1)], null, new Ipv4Address(192, 168, 2, 1),
        TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(105), Instant.FromSeconds(10), null);

    [Fact]
    public void A_lease_becomes_wall_clock_timestamps_from_the_acquisition()
    {
        var ev = EventMapper.ToWatchEvent(new DhcpLeaseAcquired(Instant.FromSeconds(10.5), Lease), Lease, false, Clock)!;
        Assert.Equal(DhcpEventKind.Acquired, ev.Dhcp.Kind);
        Assert.Equal("192.168.2.21", ev.Dhcp.Address);
        Assert.Equal(120u, ev.Dhcp.Lease.LeaseSeconds);
        Assert.Equal(Clock.Epoch.AddSeconds(10), ev.Dhcp.Lease.AcquiredTime.ToDateTimeOffset());
        Assert.Equal(Clock.Epoch.AddSeconds(70), ev.Dhcp.Lease.RenewTime.ToDateTimeOffset());
        Assert.Equal(Clock.Epoch.AddSeconds(115), ev.Dhcp.Lease.RebindTime.ToDateTimeOffset());
        Assert.Equal(Clock.Epoch.AddSeconds(130), ev.Dhcp.Lease.ExpireTime.ToDateTimeOffset());
        Assert.Equal(Clock.Epoch.AddSeconds(10.5), ev.Time.ToDateTimeOffset());
    }

    [Fact]
    public void An_infinite_lease_has_no_renew_rebind_or_expiry()
    {
        var lease = Lease with { LeaseDuration = Mip.Stack.Sockets.Dhcp.DhcpLease.Infinite };
        var proto = EventMapper.ToLease(lease, Clock);
        Assert.Equal(uint.MaxValue, proto.LeaseSeconds);
        Assert.Null(proto.RenewTime);
        Assert.Null(proto.ExpireTime);
    }

    [Fact]
    public void Address_source_is_dhcp_only_for_the_leased_address()
    {
        var config = Lease.ToConfig();
        Assert.Equal(AddressSource.Dhcp, EventMapper.ToIpv4Status(config, Lease, false, Clock).Source);
        Assert.Equal(AddressSource.Static, EventMapper.ToIpv4Status(config, null, true, Clock).Source);
        var status = EventMapper.ToIpv4Status(config with { Gateway = Ipv4Address.Any }, null, true, Clock);
        Assert.Equal("", status.Gateway);
        Assert.Null(status.Lease);
    }

    [Fact]
    public void Arp_and_link_events_map_and_pings_are_not_watched()
    {
        var arp = EventMapper.ToWatchEvent(new ArpEntryChanged(Instant.Zero, ArpEntryChangeKind.Updated, new Ipv4Address(192, 168, 2, 1), MacAddress.Parse("02:00:00:00:00:09")), null, false, Clock)!;
        Assert.Equal(ArpEventKind.Changed, arp.Arp.Kind);
        Assert.Equal("02:00:00:00:00:09", arp.Arp.Entry.Mac);
        Assert.Equal(EventKind.Arp, EventMapper.KindOf(arp));
        Assert.False(EventMapper.ToWatchEvent(new LinkChanged(Instant.Zero, false), null, false, Clock)!.Link.Up);
        Assert.Null(EventMapper.ToWatchEvent(new PingFailed(Instant.Zero, Ipv4Address.Any, 1, 1, PingFailureReason.HostUnreachable), null, false, Clock));
    }
}
