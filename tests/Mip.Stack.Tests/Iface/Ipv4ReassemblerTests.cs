using Mip.Stack.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Iface;

public sealed class Ipv4ReassemblerTests
{
    private static readonly TimeSpan Timeout30 = TimeSpan.FromSeconds(30);
    private static readonly Instant T0 = Instant.FromSeconds(100);

    private static readonly FragmentKey KeyA =
        new(new Ipv4Address(192, 168, 2, 1), new Ipv4Address(192, 168, 2, 10), 17, 0x1234);

    private readonly record struct Fragment(int Offset, bool More, byte[] Data);

    private static byte[] RandomPayload(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Cuts a payload like a sender with the given fragment payload size (a multiple of 8).</summary>
    private static List<Fragment> Cut(byte[] payload, int size)
    {
        var list = new List<Fragment>();
        for (int offset = 0; offset < payload.Length; offset += size)
        {
            int length = Math.Min(size, payload.Length - offset);
            list.Add(new Fragment(offset, offset + length < payload.Length, payload.AsSpan(offset, length).ToArray()));
        }
        return list;
    }

    private static ReassemblyStatus Add(Ipv4Reassembler r, FragmentKey key, Fragment f, Instant now, out byte[] datagram)
    {
        var status = r.Add(key, f.Offset, f.More, f.Data, now, out var span);
        datagram = span.ToArray();
        return status;
    }

    /// <summary>Feeds all fragments; asserts only the last one completes and returns the datagram.</summary>
    private static byte[] FeedExpectingCompletionAtEnd(Ipv4Reassembler r, FragmentKey key, IReadOnlyList<Fragment> fragments, Instant now)
    {
        for (int i = 0; i < fragments.Count - 1; i++)
        {
            Assert.Equal(ReassemblyStatus.Incomplete, Add(r, key, fragments[i], now, out _));
        }
        Assert.Equal(ReassemblyStatus.Complete, Add(r, key, fragments[^1], now, out var datagram));
        return datagram;
    }

    [Fact]
    public void In_order_fragments_reassemble_and_return_memory()
    {
        var payload = RandomPayload(4000, 1);
        var r = new Ipv4Reassembler(256 * 1024, Timeout30);

        var datagram = FeedExpectingCompletionAtEnd(r, KeyA, Cut(payload, 1480), T0);

        Assert.Equal(payload, datagram);
        Assert.Equal(1, r.Completed);
        Assert.Equal(0, r.MemoryInUse);
        Assert.Equal(0, r.PendingDatagrams);
        Assert.Equal(Instant.MaxValue, r.NextDeadline);
    }

    [Fact]
    public void Reverse_order_fragments_reassemble()
    {
        var payload = RandomPayload(5001, 2);
        var fragments = Cut(payload, 1480);
        fragments.Reverse();
        var r = new Ipv4Reassembler(256 * 1024, Timeout30);

        Assert.Equal(payload, FeedExpectingCompletionAtEnd(r, KeyA, fragments, T0));
        Assert.Equal(0, r.MemoryInUse);
    }

    [Fact]
    public void Random_permutations_reassemble()
    {
        var rng = new Random(42);
        var r = new Ipv4Reassembler(256 * 1024, Timeout30);
        int fragmented = 0;
        for (int round = 0; round < 200; round++)
        {
            var payload = RandomPayload(rng.Next(9, 20000), round);
            var fragments = Cut(payload, 8 * rng.Next(1, 200));
            // A single piece is an unfragmented datagram: passed through, not counted as reassembled.
            fragmented += fragments.Count > 1 ? 1 : 0;
            rng.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(fragments));
            var key = KeyA with { Identification = (ushort)round };

            Assert.Equal(payload, FeedExpectingCompletionAtEnd(r, key, fragments, T0));
            Assert.Equal(0, r.MemoryInUse);
        }
        Assert.True(fragmented > 150);
        Assert.Equal(fragmented, r.Completed);
    }

    [Fact]
    public void Duplicates_are_accepted_and_counted_as_overlaps()
    {
        var payload = RandomPayload(3000, 3);
        var fragments = Cut(payload, 1000 / 8 * 8);
        var r = new Ipv4Reassembler(256 * 1024, Timeout30);

        // Each non-final fragment twice, then the final one.
        foreach (var f in fragments.Take(fragments.Count - 1))
        {
            Assert.Equal(ReassemblyStatus.Incomplete, Add(r, KeyA, f, T0, out _));
            Assert.Equal(ReassemblyStatus.Incomplete, Add(r, KeyA, f, T0, out _));
        }
        Assert.Equal(ReassemblyStatus.Complete, Add(r, KeyA, fragments[^1], T0, out var datagram));

        Assert.Equal(payload, datagram);
        Assert.Equal(fragments.Count - 1, r.OverlappingFragments);
    }

    [Fact]
    public void Identical_partial_overlaps_are_accepted()
    {
        var payload = RandomPayload(30, 4);
        var r = new Ipv4Reassembler(64 * 1024, Timeout30);

        Assert.Equal(ReassemblyStatus.Incomplete, r.Add(KeyA, 0, true, payload.AsSpan(0, 16), T0, out _));
        Assert.Equal(ReassemblyStatus.Incomplete, r.Add(KeyA, 8, true, payload.AsSpan(8, 16), T0, out _));
        Assert.Equal(ReassemblyStatus.Complete, r.Add(KeyA, 16, false, payload.AsSpan(16), T0, out var datagram));

        Assert.Equal(payload, datagram.ToArray());
        Assert.Equal(2, r.OverlappingFragments);
        Assert.Equal(0, r.OverlapConflicts);
    }

    [Fact]
    public void Conflicting_overlap_drops_the_whole_datagram()
    {
        var payload = RandomPayload(40, 5);
        var forged = (byte[])payload.Clone();
        forged[20] ^= 0x01;
        var r = new Ipv4Reassembler(64 * 1024, Timeout30);

        Assert.Equal(ReassemblyStatus.Incomplete, r.Add(KeyA, 0, true, payload.AsSpan(0, 24), T0, out _));
        Assert.Equal(ReassemblyStatus.Dropped, r.Add(KeyA, 16, true, forged.AsSpan(16, 16), T0, out _));

        Assert.Equal(ReassemblyDropReason.ConflictingOverlap, r.LastDropReason);
        Assert.Equal(1, r.OverlapConflicts);
        Assert.Equal(0, r.PendingDatagrams);
        Assert.Equal(0, r.MemoryInUse);
        // The first fragment's data is gone: the rest alone cannot complete the datagram.
        Assert.Equal(ReassemblyStatus.Incomplete, r.Add(KeyA, 24, false, payload.AsSpan(24), T0, out _));
    }

    [Fact]
    public void Missing_fragment_times_out_exactly_at_30_seconds_from_the_first()
    {
        var payload = RandomPayload(3000, 6);
        var fragments = Cut(payload, 1480);
        var r = new Ipv4Reassembler(256 * 1024, Timeout30);

        Add(r, KeyA, fragments[0], T0, out _);
        // A later fragment does not extend the timer (RFC 1122 §3.3.2).
        Add(r, KeyA, fragments[2], T0 + TimeSpan.FromSeconds(20), out _);
        Assert.Equal(T0 + Timeout30, r.NextDeadline);
        Assert.True(r.MemoryInUse > 0);

        Assert.Equal(0, r.Expire(T0 + Timeout30 - TimeSpan.FromTicks(10)));
        Assert.Equal(1, r.PendingDatagrams);
        Assert.Equal(1, r.Expire(T0 + Timeout30));

        Assert.Equal(1, r.TimedOut);
        Assert.Equal(0, r.PendingDatagrams);
        Assert.Equal(0, r.MemoryInUse);
        Assert.Equal(Instant.MaxValue, r.NextDeadline);
    }

    [Fact]
    public void Fragment_arriving_after_the_deadline_starts_afresh_even_without_expire()
    {
        var payload = RandomPayload(2000, 7);
        var fragments = Cut(payload, 1480);
        var r = new Ipv4Reassembler(256 * 1024, Timeout30);

        Add(r, KeyA, fragments[0], T0, out _);
        Assert.Equal(ReassemblyStatus.Incomplete, Add(r, KeyA, fragments[1], T0 + Timeout30, out _));

        Assert.Equal(1, r.TimedOut);
        Assert.Equal(T0 + Timeout30 + Timeout30, r.NextDeadline);
    }

    [Fact]
    public void Memory_bound_evicts_oldest_and_is_never_exceeded()
    {
        // Each pending datagram holds one first fragment of 1480 bytes: a pooled 2 KiB buffer.
        const int limit = 4 * 2048;
        var r = new Ipv4Reassembler(limit, Timeout30);
        var payloads = new List<byte[]>();
        for (int i = 0; i < 6; i++)
        {
            var payload = RandomPayload(2000, 100 + i);
            payloads.Add(payload);
            var key = KeyA with { Identification = (ushort)i };
            Assert.Equal(ReassemblyStatus.Incomplete, r.Add(key, 0, true, payload.AsSpan(0, 1480), T0 + TimeSpan.FromSeconds(i), out _));
            Assert.InRange(r.MemoryInUse, 1, limit);
        }

        Assert.Equal(2, r.DroppedForMemory);
        Assert.Equal(4, r.PendingDatagrams);
        Assert.Equal(T0 + TimeSpan.FromSeconds(2) + Timeout30, r.NextDeadline);

        // The two oldest were evicted; their tails no longer complete anything. The newest do.
        Assert.Equal(ReassemblyStatus.Incomplete, r.Add(KeyA with { Identification = 0 }, 1480, false, payloads[0].AsSpan(1480), T0, out _));
        Assert.Equal(ReassemblyStatus.Complete, r.Add(KeyA with { Identification = 5 }, 1480, false, payloads[5].AsSpan(1480), T0, out var done));
        Assert.Equal(payloads[5], done.ToArray());

        r.Clear();
        Assert.Equal(0, r.MemoryInUse);
    }

    [Fact]
    public void Datagram_bigger_than_the_whole_bound_is_dropped_for_memory()
    {
        var payload = RandomPayload(10_000, 8);
        var fragments = Cut(payload, 1480);
        var r = new Ipv4Reassembler(4096, Timeout30);

        var statuses = fragments.Select(f => Add(r, KeyA, f, T0, out _)).ToList();

        Assert.Contains(ReassemblyStatus.Dropped, statuses);
        Assert.DoesNotContain(ReassemblyStatus.Complete, statuses);
        Assert.True(r.DroppedForMemory >= 1);
        Assert.InRange(r.MemoryInUse, 0, 4096);
    }

    [Fact]
    public void Datagram_limit_evicts_the_oldest()
    {
        var r = new Ipv4Reassembler(1 << 20, Timeout30, maxDatagrams: 2);
        var data = RandomPayload(16, 9);
        for (ushort id = 0; id < 3; id++)
        {
            r.Add(KeyA with { Identification = id }, 0, true, data.AsSpan(0, 8), T0, out _);
        }

        Assert.Equal(2, r.PendingDatagrams);
        Assert.Equal(1, r.DroppedForDatagramLimit);
        Assert.Equal(ReassemblyStatus.Incomplete, r.Add(KeyA with { Identification = 0 }, 8, false, data.AsSpan(8), T0, out _));
        Assert.Equal(ReassemblyStatus.Complete, r.Add(KeyA with { Identification = 2 }, 8, false, data.AsSpan(8), T0, out _));
    }

    [Fact]
    public void Interleaved_datagrams_with_different_keys_stay_apart()
    {
        var keys = new[]
        {
            KeyA,
            KeyA with { Identification = 0x1235 },
            KeyA with { Protocol = 6 },
            KeyA with { Source = new Ipv4Address(192, 168, 2, 2) },
            KeyA with { Destination = new Ipv4Address(192, 168, 2, 11) },
        };
        var payloads = keys.Select((_, i) => RandomPayload(4400, 200 + i)).ToArray();
        var cuts = payloads.Select(p => Cut(p, 1480)).ToArray();
        var r = new Ipv4Reassembler(256 * 1024, Timeout30);

        for (int i = 0; i < cuts[0].Count - 1; i++)
        {
            for (int k = 0; k < keys.Length; k++)
            {
                Assert.Equal(ReassemblyStatus.Incomplete, Add(r, keys[k], cuts[k][i], T0, out _));
            }
        }
        Assert.Equal(keys.Length, r.PendingDatagrams);
        for (int k = 0; k < keys.Length; k++)
        {
            Assert.Equal(ReassemblyStatus.Complete, Add(r, keys[k], cuts[k][^1], T0, out var datagram));
            Assert.Equal(payloads[k], datagram);
        }
        Assert.Equal(0, r.MemoryInUse);
    }

    [Fact]
    public void Largest_payload_reassembles_and_one_byte_more_is_dropped()
    {
        var payload = RandomPayload(Ipv4Reassembler.MaxPayloadBytes, 10);
        var r = new Ipv4Reassembler(256 * 1024, Timeout30);

        Assert.Equal(payload, FeedExpectingCompletionAtEnd(r, KeyA, Cut(payload, 1480), T0));

        var tooLong = RandomPayload(Ipv4Reassembler.MaxPayloadBytes + 1, 11);
        var fragments = Cut(tooLong, 1480);
        var statuses = fragments.Select(f => Add(r, KeyA, f, T0, out _)).ToList();
        Assert.Equal(ReassemblyStatus.Dropped, statuses[^1]);
        Assert.Equal(ReassemblyDropReason.Oversize, r.LastDropReason);
        Assert.Equal(0, r.PendingDatagrams);
        Assert.Equal(0, r.MemoryInUse);
    }

    [Fact]
    public void Largest_offset_with_data_is_oversize()
    {
        var r = new Ipv4Reassembler(256 * 1024, Timeout30);
        // Offset field 8191 (the maximum) times 8, plus one byte: the classic ping of death.
        Assert.Equal(ReassemblyStatus.Dropped, r.Add(KeyA, 8191 * 8, false, new byte[1], T0, out _));
        Assert.Equal(ReassemblyDropReason.Oversize, r.LastDropReason);
    }

    [Fact]
    public void Tiny_eight_byte_fragments_in_random_order_reassemble()
    {
        var payload = RandomPayload(1003, 12);
        var fragments = Cut(payload, 8);
        new Random(13).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(fragments));
        var r = new Ipv4Reassembler(256 * 1024, Timeout30);

        Assert.Equal(payload, FeedExpectingCompletionAtEnd(r, KeyA, fragments, T0));
    }

    [Fact]
    public void Non_last_fragment_not_a_multiple_of_eight_drops_the_datagram()
    {
        var data = RandomPayload(64, 14);
        var r = new Ipv4Reassembler(64 * 1024, Timeout30);
        r.Add(KeyA, 0, true, data.AsSpan(0, 16), T0, out _);

        Assert.Equal(ReassemblyStatus.Dropped, r.Add(KeyA, 16, true, data.AsSpan(16, 12), T0, out _));
        Assert.Equal(ReassemblyDropReason.Misaligned, r.LastDropReason);
        Assert.Equal(0, r.PendingDatagrams);
        Assert.Equal(1, r.DroppedMalformed);
    }

    [Fact]
    public void Second_last_fragment_with_a_different_end_drops()
    {
        var data = RandomPayload(64, 15);
        var r = new Ipv4Reassembler(64 * 1024, Timeout30);
        r.Add(KeyA, 16, false, data.AsSpan(16, 20), T0, out _);

        Assert.Equal(ReassemblyStatus.Dropped, r.Add(KeyA, 16, false, data.AsSpan(16, 24), T0, out _));
        Assert.Equal(ReassemblyDropReason.InconsistentEnd, r.LastDropReason);
        Assert.Equal(0, r.MemoryInUse);
    }

    [Fact]
    public void Data_beyond_the_known_end_drops()
    {
        var data = RandomPayload(64, 16);
        var r = new Ipv4Reassembler(64 * 1024, Timeout30);
        r.Add(KeyA, 8, false, data.AsSpan(8, 10), T0, out _);

        Assert.Equal(ReassemblyStatus.Dropped, r.Add(KeyA, 16, true, data.AsSpan(16, 8), T0, out _));
        Assert.Equal(ReassemblyDropReason.InconsistentEnd, r.LastDropReason);
    }

    [Fact]
    public void Last_fragment_ending_before_data_already_held_drops()
    {
        var data = RandomPayload(64, 17);
        var r = new Ipv4Reassembler(64 * 1024, Timeout30);
        r.Add(KeyA, 32, true, data.AsSpan(32, 16), T0, out _);

        Assert.Equal(ReassemblyStatus.Dropped, r.Add(KeyA, 8, false, data.AsSpan(8, 8), T0, out _));
        Assert.Equal(ReassemblyDropReason.InconsistentEnd, r.LastDropReason);
    }

    [Fact]
    public void Empty_fragment_is_dropped()
    {
        var r = new Ipv4Reassembler(64 * 1024, Timeout30);
        Assert.Equal(ReassemblyStatus.Dropped, r.Add(KeyA, 8, true, [], T0, out _));
        Assert.Equal(ReassemblyDropReason.Empty, r.LastDropReason);
        Assert.Equal(0, r.PendingDatagrams);
    }

    [Fact]
    public void Unfragmented_datagram_passes_through_without_state()
    {
        var data = RandomPayload(100, 18);
        var r = new Ipv4Reassembler(64 * 1024, Timeout30);

        Assert.Equal(ReassemblyStatus.Complete, r.Add(KeyA, 0, false, data, T0, out var datagram));
        Assert.Equal(data, datagram.ToArray());
        Assert.Equal(0, r.PendingDatagrams);
        Assert.Equal(0, r.Completed);
    }

    [Fact]
    public void Random_garbage_fragments_never_throw_and_respect_the_bound()
    {
        const int limit = 32 * 1024;
        var rng = new Random(99);
        var r = new Ipv4Reassembler(limit, Timeout30, maxDatagrams: 8);
        var scratch = new byte[70_000];
        rng.NextBytes(scratch);
        var now = T0;

        for (int i = 0; i < 20_000; i++)
        {
            now += TimeSpan.FromMilliseconds(rng.Next(0, 20));
            var key = KeyA with { Identification = (ushort)rng.Next(0, 12) };
            int offset = rng.Next(0, 4) == 0 ? rng.Next(0, 70_000) : 8 * rng.Next(0, 400);
            int length = rng.Next(0, 3000);
            var payload = scratch.AsSpan(0, Math.Min(length, scratch.Length));
            r.Add(key, offset, rng.Next(0, 3) != 0, payload, now, out _);
            Assert.InRange(r.MemoryInUse, 0, limit);
            Assert.InRange(r.PendingDatagrams, 0, 8);
            if (rng.Next(0, 50) == 0)
            {
                r.Expire(now);
            }
        }

        r.Expire(now + Timeout30);
        Assert.Equal(0, r.MemoryInUse);
        Assert.Equal(0, r.PendingDatagrams);
    }

    [Fact]
    public void Timeout_reports_fragment_zero_header_and_first_eight_bytes_only_when_fragment_zero_arrived()
    {
        var r = new Ipv4Reassembler(256 * 1024, Timeout30);
        var keyB = KeyA with { Identification = 0x5678 };
        var payload = RandomPayload(64, 3);
        var header = new byte[24];   // an IHL 6 header: the quote keeps options too
        new Random(4).NextBytes(header);
        Assert.Equal(ReassemblyStatus.Incomplete, r.Add(KeyA, 0, true, payload.AsSpan(0, 16), T0, out _, header));
        Assert.Equal(ReassemblyStatus.Incomplete, r.Add(KeyA, 32, false, payload.AsSpan(32), T0, out _, new byte[20]));
        Assert.Equal(ReassemblyStatus.Incomplete, r.Add(keyB, 16, true, payload.AsSpan(16, 16), T0, out _, new byte[20]));

        var reported = new List<(FragmentKey Key, byte[] Quote)>();
        Assert.Equal(2, r.Expire(T0 + Timeout30, (in FragmentKey key, ReadOnlySpan<byte> quote) => reported.Add((key, quote.ToArray()))));

        var (k, q) = Assert.Single(reported);
        Assert.Equal(KeyA, k);
        Assert.Equal([.. header, .. payload.AsSpan(0, 8)], q);
        Assert.Equal(0, r.MemoryInUse);
    }
}
