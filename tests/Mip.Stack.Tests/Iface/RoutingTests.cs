using Mip.Stack.Iface;
using Mip.Stack.Phy;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Iface;

public sealed class RoutingTests
{
    private static NetStack Stack(Ipv4Config? config) =>
        StackHarness.Stack(new InMemoryLink().A, Fixtures.MacB, config, Instant.Zero);

    [Theory]
    [InlineData("192.168.2.1", RouteKind.OnLink, "192.168.2.1")]
    [InlineData("192.168.2.255", RouteKind.Broadcast, "192.168.2.255")]
    [InlineData("255.255.255.255", RouteKind.Broadcast, "255.255.255.255")]
    [InlineData("224.0.0.251", RouteKind.Multicast, "224.0.0.251")]
    [InlineData("8.8.8.8", RouteKind.Gateway, "192.168.2.254")]
    [InlineData("192.168.3.1", RouteKind.Gateway, "192.168.2.254")]
    [InlineData("127.0.0.1", RouteKind.None, "0.0.0.0")]
    [InlineData("192.168.2.10", RouteKind.None, "0.0.0.0")]
    internal void With_a_gateway(string destination, RouteKind kind, string nextHop)
    {
        var route = Stack(StackHarness.Config(Fixtures.IpB, StackHarness.Gateway)).Route(Ipv4Address.Parse(destination));
        Assert.Equal(kind, route.Kind);
        Assert.Equal(Ipv4Address.Parse(nextHop), route.NextHop);
    }

    [Fact]
    public void Off_link_without_gateway_has_no_route()
    {
        var route = Stack(StackHarness.Config(Fixtures.IpB)).Route(Ipv4Address.Parse("8.8.8.8"));
        Assert.Equal(new Route(RouteKind.None, default, StackError.NoRoute), route);
    }

    [Fact]
    public void Gateway_that_is_not_on_link_is_not_used()
    {
        var config = StackHarness.Config(Fixtures.IpB, Ipv4Address.Parse("10.0.0.1"));
        Assert.Equal(StackError.NoRoute, Stack(config).Route(Ipv4Address.Parse("8.8.8.8")).Error);
    }

    [Fact]
    public void Unconfigured_reaches_only_the_limited_broadcast()
    {
        var stack = Stack(null);
        Assert.Equal(RouteKind.Broadcast, stack.Route(Ipv4Address.Broadcast).Kind);
        Assert.Equal(StackError.NotConfigured, stack.Route(Fixtures.IpA).Error);
    }

    [Fact]
    public void Off_link_traffic_is_sent_to_the_gateway_mac()
    {
        var link = new InMemoryLink();
        var now = Instant.FromSeconds(1);
        var stack = StackHarness.Stack(link.A, Fixtures.MacB, StackHarness.Config(Fixtures.IpB, StackHarness.Gateway), now);
        stack.Poll(now);
        StackHarness.Sent(link.B);
        var udp = stack.OpenUdp(5000);
        Assert.True(udp.TrySendTo([1, 2, 3], new Ipv4Endpoint(Ipv4Address.Parse("8.8.8.8"), 53), now));
        // ARP asks for the gateway, not for 8.8.8.8.
        var request = Assert.Single(StackHarness.Sent(link.B));
        Assert.Equal(StackHarness.Gateway, Ipv4Address.Read(request.AsSpan(38)));
        var gatewayMac = MacAddress.Parse("02:00:00:00:00:fe");
        var reply = new byte[42];
        EthernetFrame.WriteHeader(reply, Fixtures.MacB, gatewayMac, EtherType.Arp);
        new ArpRepr(ArpOperation.Reply, gatewayMac, StackHarness.Gateway, Fixtures.MacB, Fixtures.IpB).Emit(reply.AsSpan(14));
        link.A.Inject(reply);
        stack.Poll(now);
        var frame = Assert.Single(StackHarness.Sent(link.B));
        Assert.Equal(gatewayMac, MacAddress.Read(frame));
        Assert.True(Ipv4Packet.TryCreate(frame.AsSpan(14), out var ip));
        Assert.Equal(Ipv4Address.Parse("8.8.8.8"), ip.Destination);
    }

    [Fact]
    public void No_route_is_reported_and_counted()
    {
        var net = new TwoStacks();
        Assert.False(net.A.OpenUdp(1).TrySendTo([1], new Ipv4Endpoint(Ipv4Address.Parse("8.8.8.8"), 53), net.Now, out var error));
        Assert.Equal(StackError.NoRoute, error);
        Assert.Equal(1, net.A.Counters.Drops(DropReason.NoRoute));
        Assert.False(net.A.SendPing(Ipv4Address.Parse("8.8.8.8"), 1, 1, 8, net.Now));
    }
}
