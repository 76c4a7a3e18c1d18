using Mip.Stack.Iface;
using Mip.Stack.Phy;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Iface;

/// <summary>The stack (B, 192.168.2.10) on one end of a cable; the test plays host A on the other end.</summary>
public sealed class ArpTests
{
    private readonly InMemoryLink _link = new();
    private Instant _now = Instant.FromSeconds(10);
    private readonly NetStack _stack;

    public ArpTests()
    {
        _stack = StackHarness.Stack(_link.A, Fixtures.MacB, StackHarness.Config(Fixtures.IpB), _now);
        _stack.Poll(_now);
    }

    private List<byte[]> Sent() => StackHarness.Sent(_link.B);

    private void Poll(TimeSpan after)
    {
        _now += after;
        _stack.Poll(_now);
    }

    private static ArpRepr ParseArp(byte[] frame)
    {
        Assert.True(EthernetFrame.TryCreate(frame, out var eth));
        Assert.Equal(EtherType.Arp, eth.EtherType);
        Assert.True(ArpPacket.TryCreate(eth.Payload, out var packet));
        Assert.True(ArpRepr.TryParse(packet, out var arp));
        return arp;
    }

    [Fact]
    public void Announces_its_address_when_configured()
    {
        var stack = StackHarness.Stack(_link.B, Fixtures.MacA, StackHarness.Config(Fixtures.IpA), _now);
        Sent();
        stack.Poll(_now);
        var frame = Assert.Single(StackHarness.Sent(_link.A));
        Assert.Equal(MacAddress.Broadcast, MacAddress.Read(frame));
        // RFC 5227 §2.3: a request with our address as both sender and target.
        Assert.Equal(new ArpRepr(ArpOperation.Request, Fixtures.MacA, Fixtures.IpA, MacAddress.Zero, Fixtures.IpA), ParseArp(frame));
    }

    [Fact]
    public void Request_for_us_is_answered_and_sender_cached()
    {
        Sent();
        _link.A.Inject(Fixtures.ArpRequest);
        _stack.Poll(_now);
        Assert.Equal(Fixtures.ArpReply, Assert.Single(Sent()));
        var entry = Assert.Single(_stack.GetArpTable(_now));
        Assert.Equal(new ArpEntryInfo(Fixtures.IpA, Fixtures.MacA, ArpEntryState.Reachable, TimeSpan.Zero), entry);
        var added = Assert.Single(StackHarness.DrainEvents(_stack).OfType<ArpEntryChanged>());
        Assert.Equal(ArpEntryChangeKind.Added, added.Kind);
    }

    [Fact]
    public void Request_for_another_host_is_neither_answered_nor_cached()
    {
        Sent();
        var request = Fixtures.ArpRequest;
        request[41] = 11; // who-has 192.168.2.11
        _link.A.Inject(request);
        _stack.Poll(_now);
        Assert.Empty(Sent());
        Assert.Empty(_stack.GetArpTable(_now));
    }

    [Fact]
    public void Known_sender_is_updated_by_any_arp_and_reports_a_new_mac()
    {
        _link.A.Inject(Fixtures.ArpRequest);
        _stack.Poll(_now);
        StackHarness.DrainEvents(_stack);
        // A gratuitous announcement from A with a new MAC (RFC 826 merge: updates even though we are not the target).
        var moved = MacAddress.Parse("02:00:00:00:00:99");
        var frame = new byte[42];
        EthernetFrame.WriteHeader(frame, MacAddress.Broadcast, moved, EtherType.Arp);
        new ArpRepr(ArpOperation.Request, moved, Fixtures.IpA, MacAddress.Zero, Fixtures.IpA).Emit(frame.AsSpan(14));
        _link.A.Inject(frame);
        Poll(TimeSpan.FromSeconds(2));
        Assert.Equal(moved, Assert.Single(_stack.GetArpTable(_now)).Mac);
        var updated = Assert.Single(StackHarness.DrainEvents(_stack).OfType<ArpEntryChanged>());
        Assert.Equal(new ArpEntryChanged(_now, ArpEntryChangeKind.Updated, Fixtures.IpA, moved), updated);
    }

    [Fact]
    public void Requests_are_rate_limited_and_pending_datagrams_flushed_on_reply()
    {
        using var socket = new DisposableUdp(_stack.OpenUdp(5000));
        Sent();
        for (int i = 0; i < 3; i++)
        {
            Assert.True(socket.Socket.TrySendTo([(byte)i], new Ipv4Endpoint(Fixtures.IpA, 9), _now));
        }
        // One request for three datagrams, and none more within ArpRequestInterval.
        var request = ParseArp(Assert.Single(Sent()));
        Assert.Equal(new ArpRepr(ArpOperation.Request, Fixtures.MacB, Fixtures.IpB, MacAddress.Zero, Fixtures.IpA), request);
        Poll(TimeSpan.FromMilliseconds(999));
        Assert.Empty(Sent());
        Assert.Equal(ArpEntryState.Incomplete, Assert.Single(_stack.GetArpTable(_now)).State);
        Assert.Equal(_now + TimeSpan.FromMilliseconds(1), _stack.NextPollAt(_now));
        Poll(TimeSpan.FromMilliseconds(1));
        Assert.Equal(ArpOperation.Request, ParseArp(Assert.Single(Sent())).Operation);

        // A replies: the three datagrams go out in order, to A's MAC.
        var reply = new byte[42];
        EthernetFrame.WriteHeader(reply, Fixtures.MacB, Fixtures.MacA, EtherType.Arp);
        new ArpRepr(ArpOperation.Reply, Fixtures.MacA, Fixtures.IpA, Fixtures.MacB, Fixtures.IpB).Emit(reply.AsSpan(14));
        _link.A.Inject(reply);
        Poll(TimeSpan.FromMilliseconds(5));
        var flushed = Sent();
        Assert.Equal(3, flushed.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Fixtures.MacA, MacAddress.Read(flushed[i]));
            Assert.Equal((byte)i, flushed[i][^1]);
        }
        Assert.Equal(ArpEntryState.Reachable, Assert.Single(_stack.GetArpTable(_now)).State);
    }

    [Fact]
    public void Pending_queue_is_bounded_and_keeps_the_latest()
    {
        using var socket = new DisposableUdp(_stack.OpenUdp(5000));
        for (int i = 0; i < 10; i++)
        {
            Assert.True(socket.Socket.TrySendTo([(byte)i], new Ipv4Endpoint(Fixtures.IpA, 9), _now));
        }
        Assert.Equal(2, _stack.Counters.Drops(DropReason.ArpQueueFull));
        Sent();
        _link.A.Inject(Fixtures.ArpRequest);     // A asks for us: that resolves A too
        _stack.Poll(_now);
        var frames = Sent().Where(f => f[12] == 0x08 && f[13] == 0x00).ToList();
        Assert.Equal(Enumerable.Range(2, 8).Select(i => (byte)i), frames.Select(f => f[^1]));
    }

    [Fact]
    public void Unused_entry_expires_after_its_lifetime()
    {
        _link.A.Inject(Fixtures.ArpRequest);
        _stack.Poll(_now);
        StackHarness.DrainEvents(_stack);
        var learnedAt = _now;
        Assert.Equal(learnedAt + TimeSpan.FromSeconds(60), _stack.NextPollAt(_now));
        Poll(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromSeconds(30), Assert.Single(_stack.GetArpTable(_now)).Age);
        Poll(TimeSpan.FromSeconds(30));
        Assert.Empty(_stack.GetArpTable(_now));
        var expired = Assert.Single(StackHarness.DrainEvents(_stack).OfType<ArpEntryChanged>());
        Assert.Equal(new ArpEntryChanged(_now, ArpEntryChangeKind.Expired, Fixtures.IpA, Fixtures.MacA), expired);
    }

    [Fact]
    public void Used_entry_goes_stale_and_is_revalidated_by_unicast_then_dropped_if_silent()
    {
        _link.A.Inject(Fixtures.ArpRequest);
        _stack.Poll(_now);
        using var socket = new DisposableUdp(_stack.OpenUdp(5000));
        Assert.True(socket.Socket.TrySendTo([1], new Ipv4Endpoint(Fixtures.IpA, 9), _now));
        Sent();
        Poll(TimeSpan.FromSeconds(60));
        Assert.Equal(ArpEntryState.Stale, Assert.Single(_stack.GetArpTable(_now)).State);
        var probe = Assert.Single(Sent());
        Assert.Equal(Fixtures.MacA, MacAddress.Read(probe));   // unicast, RFC 1122 §2.3.2.1
        // Still usable while stale.
        Assert.True(socket.Socket.TrySendTo([2], new Ipv4Endpoint(Fixtures.IpA, 9), _now));
        Assert.Equal(Fixtures.MacA, MacAddress.Read(Assert.Single(Sent())));
        Poll(TimeSpan.FromSeconds(1));
        Poll(TimeSpan.FromSeconds(1));
        Assert.Equal(2, Sent().Count);
        Poll(TimeSpan.FromSeconds(1));
        Assert.Empty(_stack.GetArpTable(_now));
        Assert.Contains(StackHarness.DrainEvents(_stack), e => e is ArpEntryChanged { Kind: ArpEntryChangeKind.Expired });
    }

    [Fact]
    public void Observer_sees_every_sender_including_probes()
    {
        var seen = new List<ArpRepr>();
        _stack.ArpObserved = (in ArpRepr arp, Instant _) => seen.Add(arp);
        var probe = new byte[42];
        EthernetFrame.WriteHeader(probe, MacAddress.Broadcast, Fixtures.MacA, EtherType.Arp);
        new ArpRepr(ArpOperation.Request, Fixtures.MacA, Ipv4Address.Any, MacAddress.Zero, Fixtures.IpB).Emit(probe.AsSpan(14));
        _link.A.Inject(probe);
        _link.A.Inject(Fixtures.ArpRequest);
        _stack.Poll(_now);
        Assert.Equal(2, seen.Count);
        Assert.Equal(new ArpRepr(ArpOperation.Request, Fixtures.MacA, Ipv4Address.Any, MacAddress.Zero, Fixtures.IpB), seen[0]);
        Assert.Equal((ArpOperation.Request, Fixtures.IpA, Fixtures.MacA, Fixtures.IpB),
            (seen[1].Operation, seen[1].SenderIp, seen[1].SenderMac, seen[1].TargetIp));
    }

    private sealed class DisposableUdp(Mip.Stack.Sockets.UdpSocket socket) : IDisposable
    {
        public Mip.Stack.Sockets.UdpSocket Socket { get; } = socket;
        public void Dispose() => Socket.Close();
    }
}
