using System.Buffers.Binary;
using Mip.Stack.Iface;
using Mip.Stack.Phy;
using Mip.Stack.Sockets;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Netsim;

/// <summary>
/// Two stacks over a link with seeded faults: applications still get every answer, damaged frames are dropped and
/// counted by reason (never delivered), ping arithmetic holds under loss, ARP retries deterministically.
/// </summary>
public sealed class FaultyLinkTests
{
    /// <summary>Reasons that describe something the stack was sending, not a frame it received.</summary>
    private static readonly DropReason[] EgressReasons =
    [
        DropReason.NoRoute, DropReason.ArpQueueFull, DropReason.ArpUnresolved, DropReason.LinkDown,
        DropReason.NotConfigured, DropReason.DeviceRefused, DropReason.PacketTooBig,
    ];

    private static long IngressDrops(NetStack stack) =>
        stack.Counters.TotalDrops - EgressReasons.Sum(stack.Counters.Drops);

    /// <summary>Resolves both ARP caches on a clean wire, so the faulty part of a test carries only its own traffic.</summary>
    private static void WarmUp(SimNet net)
    {
        Assert.True(net.A.SendPing(Fixtures.IpB, 9, 9, 8, net.Now));
        net.RunUntil(net.Now + TimeSpan.FromMilliseconds(100));
        Iface.StackHarness.DrainEvents(net.A);
        net.DeviceA.Delivered.Clear();
        net.DeviceB.Delivered.Clear();
        net.FaultsOn = true;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Udp_requests_with_application_retries_are_all_answered_and_damage_is_dropped_by_reason(int seed)
    {
        var faults = new FaultOptions
        {
            DropProbability = 0.1,
            DuplicateProbability = 0.05,
            ReorderProbability = 0.05,
            Delay = TimeSpan.FromMilliseconds(2),
            CorruptProbability = 0.1,
            TruncateProbability = 0.05,
        };
        using var net = new SimNet(faults, seed);
        WarmUp(net);
        var server = net.B.OpenUdp(7);
        var client = net.A.OpenUdp(5000);
        const int Count = 40;
        var retry = TimeSpan.FromMilliseconds(200);
        var deadlines = new Instant?[Count];   // null once answered
        int wrong = 0, answered = 0, sends = 0;
        var buffer = new byte[2048];
        var server7 = new Ipv4Endpoint(Fixtures.IpB, 7);

        void Send(int id)
        {
            Assert.True(client.TrySendTo(Request(id), server7, net.Now));
            deadlines[id] = net.Now + retry;
            sends++;
        }

        void Application()
        {
            // B echoes; A checks each answer against what it asked, and retries what is overdue.
            while (server.TryReceiveFrom(buffer, out int n, out var from))
            {
                Assert.True(server.TrySendTo(buffer.AsSpan(0, n), from, net.Now));
            }
            while (client.TryReceiveFrom(buffer, out int n, out var from))
            {
                int id = n >= 4 ? BinaryPrimitives.ReadInt32BigEndian(buffer) : -1;
                if (from != server7 || id is < 0 or >= Count || !buffer.AsSpan(0, n).SequenceEqual(Request(id)))
                {
                    wrong++;
                }
                else if (deadlines[id] is not null)
                {
                    deadlines[id] = null;
                    answered++;
                }
            }
            for (int id = 0; id < Count; id++)
            {
                if (deadlines[id] is { } due && due <= net.Now)
                {
                    Send(id);
                }
            }
        }

        for (int id = 0; id < Count; id++)
        {
            Send(id);
        }
        net.RunUntil(net.Now + TimeSpan.FromSeconds(30), () => answered == Count, Application,
            () => deadlines.Where(d => d is not null).Select(d => d!.Value).DefaultIfEmpty(Instant.MaxValue).Min());

        Assert.Equal(Count, answered);
        Assert.Equal(0, wrong);
        Assert.True(sends > Count, "the faults must have cost some retries");
        foreach (var (stack, device, peer) in new[] { (net.A, net.DeviceA, net.DeviceB), (net.B, net.DeviceB, net.DeviceA) })
        {
            var (mutated, harmless) = Classify(device.Delivered, peer.Transmitted, peer == net.DeviceA ? Fixtures.MacA : Fixtures.MacB);
            var rx = device.Faults.ReceiveCounters;
            Assert.True(mutated > 0, $"seed {seed} damaged no frame: {rx}");
            // Every damaged frame is dropped and counted under a reason, except a flipped source MAC, which no
            // receiver can notice and which changes nothing it delivers.
            Assert.Equal(mutated - harmless, IngressDrops(stack));
            Assert.Equal(0, stack.Counters.Drops(DropReason.Malformed));
        }
    }

    /// <summary>Delivered frames that differ from every frame the peer sent, and how many of those differ only in the source MAC.</summary>
    private static (int Mutated, int Harmless) Classify(List<byte[]> delivered, List<byte[]> transmitted, MacAddress sender)
    {
        var sent = transmitted.Select(Convert.ToHexString).ToHashSet();
        int mutated = 0, harmless = 0;
        foreach (var frame in delivered)
        {
            if (sent.Contains(Convert.ToHexString(frame)))
            {
                continue;
            }
            mutated++;
            if (frame.Length >= EthernetFrame.HeaderLength)
            {
                var repaired = (byte[])frame.Clone();
                sender.Write(repaired.AsSpan(6));
                harmless += sent.Contains(Convert.ToHexString(repaired)) ? 1 : 0;
            }
        }
        return (mutated, harmless);
    }

    private static byte[] Request(int id)
    {
        var payload = new byte[64];
        BinaryPrimitives.WriteInt32BigEndian(payload, id);
        for (int i = 4; i < payload.Length; i++)
        {
            payload[i] = (byte)((id * 31) + i);
        }
        return payload;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Ping_under_loss_loses_exactly_what_the_link_dropped_and_rtt_is_the_configured_delay(int seed)
    {
        var faults = new FaultOptions { DropProbability = 0.2, Delay = TimeSpan.FromMilliseconds(10) };
        using var net = new SimNet(faults, seed);
        WarmUp(net);
        long requestsBefore = net.B.Counters.IcmpEchoRequestsReceived;
        long arpBefore = net.A.Counters.ArpRequestsSent;
        const int Count = 80;
        var interval = TimeSpan.FromMilliseconds(500);
        var first = net.Now;
        int sent = 0;
        var replies = new List<PingReplyReceived>();

        void Application()
        {
            while (sent < Count && net.Now >= first + (interval * sent))
            {
                Assert.True(net.A.SendPing(Fixtures.IpB, 77, (ushort)sent, 56, net.Now));
                sent++;
            }
            while (net.A.TryDequeueEvent(out var ev))
            {
                if (ev is PingReplyReceived reply)
                {
                    replies.Add(reply);
                }
            }
        }

        net.RunUntil(first + (interval * Count) + TimeSpan.FromSeconds(1), onRound: Application,
            appDeadline: () => sent < Count ? first + (interval * sent) : Instant.MaxValue);

        long lostRequests = net.DeviceB.Faults.ReceiveCounters.Dropped;
        long lostReplies = net.DeviceA.Faults.ReceiveCounters.Dropped;
        Assert.True(lostRequests + lostReplies > 0);
        Assert.Equal(Count, sent);
        Assert.Equal(Count - lostRequests, net.B.Counters.IcmpEchoRequestsReceived - requestsBefore);
        Assert.Equal(Count - lostRequests - lostReplies, replies.Count);
        Assert.Equal(replies.Count, replies.Select(r => r.Seq).Distinct().Count());
        // 10 ms each way, nothing else: every round trip is exactly 20 ms on fake time.
        Assert.All(replies, r => Assert.Equal(TimeSpan.FromMilliseconds(20), r.Rtt!.Value));
        Assert.Equal(arpBefore, net.A.Counters.ArpRequestsSent);   // no ARP rode on the lossy part
    }

    private sealed record ArpOutcome(bool Resolved, long RequestsSent, long Unresolved, string Events);

    private static ArpOutcome ResolveUnderLoss(int seed)
    {
        using var net = new SimNet(new FaultOptions { DropProbability = 0.5 }, seed);
        // The start-up announcements (RFC 5227 §2.3) go out on a clean wire and before A wants B, so the only
        // way A learns B's MAC is the request/reply exchange under test.
        net.RunUntil(net.Now);
        long announcements = net.A.Counters.ArpRequestsSent;
        net.FaultsOn = true;
        Assert.True(net.A.SendPing(Fixtures.IpB, 5, 1, 8, net.Now));
        net.RunUntil(net.Now + TimeSpan.FromSeconds(5));
        var events = Iface.StackHarness.DrainEvents(net.A).Where(e => e is PingReplyReceived or PingFailed or ArpEntryChanged).ToList();
        bool resolved = net.A.GetArpTable(net.Now).Any(e => e.Ip == Fixtures.IpB && e.Mac == Fixtures.MacB);
        return new ArpOutcome(resolved, net.A.Counters.ArpRequestsSent - announcements, net.A.Counters.Drops(DropReason.ArpUnresolved),
            string.Join("; ", events.Select(e => e with { At = default })));
    }

    [Fact]
    public void Arp_under_loss_retries_then_resolves_or_fails_deterministically()
    {
        var outcomes = Enumerable.Range(1, 24).Select(ResolveUnderLoss).ToList();
        for (int seed = 1; seed <= 24; seed++)
        {
            var o = outcomes[seed - 1];
            Assert.Equal(o, ResolveUnderLoss(seed));        // same seed, same story
            Assert.True(o.RequestsSent is >= 1 and <= NetStack.MaxArpRequests, $"seed {seed}: {o}");
            if (o.Resolved)
            {
                Assert.Equal(0, o.Unresolved);
                Assert.Contains("ArpEntryChanged", o.Events, StringComparison.Ordinal);
            }
            else
            {
                // RFC 1122 §2.3.2.1: a bounded number of requests, then the waiting ping fails as unreachable.
                Assert.Equal(NetStack.MaxArpRequests, o.RequestsSent);
                Assert.Equal(1, o.Unresolved);
                Assert.Contains($"Reason = {PingFailureReason.HostUnreachable}", o.Events, StringComparison.Ordinal);
            }
        }
        Assert.Contains(outcomes, o => !o.Resolved);
        Assert.Contains(outcomes, o => o.Resolved && o.RequestsSent > 1);
    }
}
