using Mip.Stack.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Iface;

public sealed class UdpTests
{
    [Fact]
    public void Echo_between_two_stacks()
    {
        var net = new TwoStacks();
        var server = net.B.OpenUdp(7);
        var client = net.A.OpenUdp();
        Assert.InRange(client.LocalEndpoint.Port, NetStack.EphemeralPortMin, NetStack.EphemeralPortMax);
        Assert.Equal(Fixtures.IpA, client.LocalEndpoint.Address);

        Assert.True(client.TrySendTo("ping"u8, new Ipv4Endpoint(Fixtures.IpB, 7), net.Now));
        net.Run();
        var buffer = new byte[100];
        Assert.True(server.TryReceiveFrom(buffer, out int n, out var from));
        Assert.Equal("ping"u8.ToArray(), buffer[..n]);
        Assert.Equal(client.LocalEndpoint, from);

        Assert.True(server.TrySendTo(buffer.AsSpan(0, n), from, net.Now));
        net.Run();
        Assert.Equal(1, client.PendingDatagrams);
        Assert.True(client.TryReceiveFrom(buffer, out n, out from));
        Assert.Equal(new Ipv4Endpoint(Fixtures.IpB, 7), from);
        Assert.Equal("ping"u8.ToArray(), buffer[..n]);
        Assert.False(client.TryReceiveFrom(buffer, out _, out _));
        Assert.Equal(0, net.A.Counters.TotalDrops + net.B.Counters.TotalDrops);
    }

    [Fact]
    public void Kernel_datagram_is_delivered_with_its_source()
    {
        var link = new Mip.Stack.Phy.InMemoryLink();
        var now = Instant.FromSeconds(1);
        var stack = StackHarness.Stack(link.A, Fixtures.MacB, StackHarness.Config(Fixtures.IpB), now);
        var socket = stack.OpenUdp(7);
        link.A.Inject(Fixtures.UdpDatagram);
        stack.Poll(now);
        var buffer = new byte[64];
        Assert.True(socket.TryReceiveFrom(buffer, out int n, out var from));
        Assert.Equal("hello, mip\n"u8.ToArray(), buffer[..n]);
        Assert.Equal(new Ipv4Endpoint(Fixtures.IpA, 40000), from);
    }

    [Fact]
    public void Port_in_use_throws_address_in_use_and_close_frees_it()
    {
        var net = new TwoStacks();
        var first = net.A.OpenUdp(5353);
        var ex = Assert.Throws<StackException>(() => net.A.OpenUdp(5353));
        Assert.Equal(StackError.AddressInUse, ex.Error);
        first.Close();
        Assert.False(first.TrySendTo([1], new Ipv4Endpoint(Fixtures.IpB, 1), net.Now, out var error));
        Assert.Equal(StackError.SocketClosed, error);
        Assert.Equal((ushort)5353, net.A.OpenUdp(5353).LocalEndpoint.Port);
    }

    [Fact]
    public void Ephemeral_ports_are_random_distinct_and_seeded()
    {
        var ports = Enumerable.Range(0, 50).Select(_ => new TwoStacks().A.OpenUdp().LocalEndpoint.Port).Distinct().ToList();
        Assert.Single(ports);   // same seed, same port: the Random is the injected one
        var net = new TwoStacks();
        var many = Enumerable.Range(0, 200).Select(_ => net.A.OpenUdp().LocalEndpoint.Port).ToList();
        Assert.Equal(200, many.Distinct().Count());
        Assert.All(many, p => Assert.InRange(p, NetStack.EphemeralPortMin, NetStack.EphemeralPortMax));
    }

    [Fact]
    public void Receive_queue_is_bounded_and_drops_are_counted()
    {
        var net = new TwoStacks(customize: o => new StackOptions { Mac = o.Mac, StaticIpv4 = o.StaticIpv4, UdpReceiveQueueDatagrams = 4 });
        var server = net.B.OpenUdp(9);
        var client = net.A.OpenUdp(10);
        for (int i = 0; i < 6; i++)
        {
            Assert.True(client.TrySendTo([(byte)i], new Ipv4Endpoint(Fixtures.IpB, 9), net.Now));
        }
        net.Run();
        Assert.Equal(4, server.PendingDatagrams);
        Assert.Equal(2, net.B.Counters.Drops(DropReason.UdpQueueFull));
        Assert.Equal(2, server.DroppedDatagrams);
        var buffer = new byte[8];
        for (int i = 0; i < 4; i++)
        {
            Assert.True(server.TryReceiveFrom(buffer, out _, out _));
            Assert.Equal(i, buffer[0]);
        }
    }

    [Fact]
    public void Small_receive_buffer_truncates_the_datagram()
    {
        var net = new TwoStacks();
        var server = net.B.OpenUdp(9);
        Assert.True(net.A.OpenUdp(10).TrySendTo([1, 2, 3, 4, 5], new Ipv4Endpoint(Fixtures.IpB, 9), net.Now));
        net.Run();
        var small = new byte[2];
        Assert.True(server.TryReceiveFrom(small, out int n, out _));
        Assert.Equal(2, n);
        Assert.Equal([1, 2], small);
        Assert.Equal(0, server.PendingDatagrams);
    }

    [Fact]
    public void Broadcast_needs_the_broadcast_flag_and_reaches_the_peer()
    {
        var net = new TwoStacks();
        var server = net.B.OpenUdp(9);
        var client = net.A.OpenUdp(10);
        var subnetBroadcast = Ipv4Address.Parse("192.168.2.255");
        Assert.False(client.TrySendTo([1], new Ipv4Endpoint(subnetBroadcast, 9), net.Now, out var error));
        Assert.Equal(StackError.BroadcastNotPermitted, error);
        client.Broadcast = true;
        Assert.True(client.TrySendTo([1], new Ipv4Endpoint(subnetBroadcast, 9), net.Now));
        Assert.True(client.TrySendTo([2], new Ipv4Endpoint(Ipv4Address.Broadcast, 9), net.Now));
        Assert.Equal(MacAddress.Broadcast, MacAddress.Read(net.Link.B.Pending > 0 ? Peek(net) : []));
        net.Run();
        Assert.Equal(2, server.PendingDatagrams);
        Assert.Equal(0, net.A.Counters.ArpRequestsSent - 1);   // only the announcement: broadcasts need no ARP
    }

    [Fact]
    public void Checksum_failure_is_dropped_and_counted()
    {
        var link = new Mip.Stack.Phy.InMemoryLink();
        var now = Instant.FromSeconds(1);
        var stack = StackHarness.Stack(link.A, Fixtures.MacB, StackHarness.Config(Fixtures.IpB), now);
        var socket = stack.OpenUdp(7);
        var corrupted = Fixtures.UdpDatagram;
        corrupted[^1] ^= 0x01;
        link.A.Inject(corrupted);
        stack.Poll(now);
        Assert.Equal(0, socket.PendingDatagrams);
        Assert.Equal(1, stack.Counters.Drops(DropReason.BadChecksum));
    }

    [Fact]
    public void Sending_unconfigured_or_link_down_fails_with_the_reason()
    {
        var link = new Mip.Stack.Phy.InMemoryLink();
        var now = Instant.FromSeconds(1);
        var stack = StackHarness.Stack(link.A, Fixtures.MacB, null, now);
        var socket = stack.OpenUdp(7);
        Assert.Equal(new Ipv4Endpoint(Ipv4Address.Any, 7), socket.LocalEndpoint);
        Assert.False(socket.TrySendTo([1], new Ipv4Endpoint(Fixtures.IpA, 9), now, out var error));
        Assert.Equal(StackError.NotConfigured, error);

        var net = new TwoStacks();
        net.Link.IsUp = false;
        net.Run();
        Assert.False(net.A.OpenUdp(5).TrySendTo([1], new Ipv4Endpoint(Fixtures.IpB, 9), net.Now, out error));
        Assert.Equal(StackError.LinkDown, error);
        Assert.Equal(1, net.A.Counters.Drops(DropReason.LinkDown));
    }

    private static byte[] Peek(TwoStacks net)
    {
        Assert.True(net.Link.B.TryTake(out var frame));
        net.Link.B.Inject(frame);
        return frame;
    }
}
