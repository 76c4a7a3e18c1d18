using System.Buffers.Binary;
using System.Numerics;
using Mip.Stack.Phy;

namespace Mip.Stack.Tests.Phy;

public sealed class FaultInjectingDeviceTests
{
    private readonly FakeClock _clock = new() { Now = Instant.FromSeconds(10) };
    private readonly InMemoryLink _link = new(queueLimitFrames: 100_000);

    /// <summary>Frame i: a 4-byte sequence number, then seeded random bytes; lengths vary from 60 to 1514.</summary>
    private static List<byte[]> MakeFrames(int count, int seed = 1)
    {
        var rng = new Random(seed);
        var frames = new List<byte[]>(count);
        for (int i = 0; i < count; i++)
        {
            var frame = new byte[rng.Next(60, 1515)];
            rng.NextBytes(frame);
            BinaryPrimitives.WriteInt32BigEndian(frame, i);
            frames.Add(frame);
        }
        return frames;
    }

    private static int SequenceOf(byte[] frame) => BinaryPrimitives.ReadInt32BigEndian(frame);

    private FaultInjectingDevice Wrap(FaultOptions options, int seed = 7) =>
        new(_link.A, options, new Random(seed), _clock.Read);

    private static List<byte[]> ReceiveAll(FaultInjectingDevice device)
    {
        var got = new List<byte[]>();
        while (device.Receive(f => got.Add(f.ToArray()), 64) > 0)
        {
        }
        return got;
    }

    private List<byte[]> InjectAndReceive(FaultInjectingDevice device, IEnumerable<byte[]> frames)
    {
        foreach (var f in frames)
        {
            _link.A.Inject(f);
        }
        return ReceiveAll(device);
    }

    private List<byte[]> TakeTransmitted()
    {
        var got = new List<byte[]>();
        while (_link.B.TryTake(out var f))
        {
            got.Add(f);
        }
        return got;
    }

    [Fact]
    public void No_faults_pass_through_byte_identical_and_in_order_both_ways()
    {
        var frames = MakeFrames(1000);
        using var device = Wrap(FaultOptions.None);

        var received = InjectAndReceive(device, frames);
        foreach (var f in frames)
        {
            Assert.True(device.Transmit(f));
        }

        Assert.Equal(frames, received);
        Assert.Equal(frames, TakeTransmitted());
        Assert.Equal(1000, device.ReceiveCounters.Delivered);
        Assert.Equal(1000, device.TransmitCounters.Delivered);
        Assert.Equal(Instant.MaxValue, device.NextDueAt);
    }

    [Fact]
    public void Five_percent_drop_loses_between_four_and_six_percent()
    {
        var frames = MakeFrames(10_000);
        using var device = Wrap(new FaultOptions { DropProbability = 0.05 });

        var received = InjectAndReceive(device, frames);

        Assert.InRange(received.Count, 9_400, 9_600);
        Assert.Equal(10_000 - received.Count, device.ReceiveCounters.Dropped);
        // Survivors are unchanged and still in order.
        Assert.Equal(frames.Where(f => received.Any(r => SequenceOf(r) == SequenceOf(f))).Take(50), received.Take(50));
        Assert.True(received.Select(SequenceOf).SequenceEqual(received.Select(SequenceOf).Order()));
    }

    [Fact]
    public void Ten_percent_duplication_duplicates_between_nine_and_eleven_percent()
    {
        var frames = MakeFrames(10_000);
        using var device = Wrap(new FaultOptions { DuplicateProbability = 0.10 });

        var received = InjectAndReceive(device, frames);

        Assert.InRange(received.Count - 10_000, 900, 1_100);
        Assert.Equal(received.Count - 10_000, device.ReceiveCounters.Duplicated);
        // A duplicate follows its original directly.
        Assert.Equal(frames.Select(SequenceOf), received.Select(SequenceOf).Distinct());
    }

    private (List<byte[]> Received, List<byte[]> Transmitted, string Counters) RunEverything(int seed)
    {
        var clock = new FakeClock { Now = Instant.FromSeconds(1) };
        var link = new InMemoryLink(queueLimitFrames: 100_000);
        var options = new FaultOptions
        {
            DropProbability = 0.05,
            DuplicateProbability = 0.05,
            ReorderProbability = 0.05,
            CorruptProbability = 0.05,
            TruncateProbability = 0.05,
            Delay = TimeSpan.FromMilliseconds(2),
            Jitter = TimeSpan.FromMilliseconds(3),
            RateLimitBytesPerSecond = 10_000_000,
        };
        using var device = new FaultInjectingDevice(link.A, options, new Random(seed), clock.Read);
        var frames = MakeFrames(2_000, seed: 3);
        var received = new List<byte[]>();
        for (int i = 0; i < frames.Count; i++)
        {
            link.A.Inject(frames[i]);
            device.Transmit(frames[^(i + 1)]);
            device.Receive(f => received.Add(f.ToArray()), 8);
            clock.Advance(TimeSpan.FromMicroseconds(300));
        }
        clock.Advance(TimeSpan.FromSeconds(1));
        device.PumpTransmit();
        while (device.Receive(f => received.Add(f.ToArray()), 64) > 0)
        {
        }
        var transmitted = new List<byte[]>();
        while (link.B.TryTake(out var f))
        {
            transmitted.Add(f);
        }
        return (received, transmitted, device.ReceiveCounters + " | " + device.TransmitCounters);
    }

    [Fact]
    public void Same_seed_gives_exactly_the_same_run_and_another_seed_does_not()
    {
        var first = RunEverything(seed: 11);
        var second = RunEverything(seed: 11);
        var other = RunEverything(seed: 12);

        Assert.Equal(first.Received, second.Received);
        Assert.Equal(first.Transmitted, second.Transmitted);
        Assert.Equal(first.Counters, second.Counters);
        Assert.NotEqual(first.Counters, other.Counters);
        Assert.Contains("corrupted=", first.Counters);
        Assert.True(first.Received.Count > 1_500);
    }

    [Fact]
    public void Reorder_delivers_every_frame_once_but_not_in_order()
    {
        var frames = MakeFrames(1000);
        using var device = Wrap(new FaultOptions { ReorderProbability = 0.2 });

        var received = InjectAndReceive(device, frames);
        // Whatever was held back at the very end comes out after its maximum hold time.
        _clock.Advance(TimeSpan.FromMilliseconds(10));
        received.AddRange(ReceiveAll(device));

        var order = received.Select(SequenceOf).ToList();
        Assert.Equal(Enumerable.Range(0, 1000), order.Order());
        int inversions = order.Zip(order.Skip(1)).Count(p => p.First > p.Second);
        Assert.InRange(inversions, 100, 300);
        Assert.InRange(device.ReceiveCounters.Reordered, 150, 250);
        // With a distance of 1 a held frame comes right behind its successor: frames move only a few places
        // (a run of consecutive held frames moves together).
        Assert.All(order.Select((sequence, position) => Math.Abs(sequence - position)), d => Assert.InRange(d, 0, 5));
        Assert.All(received, r => Assert.Equal(frames[SequenceOf(r)], r));
    }

    [Fact]
    public void Reorder_distance_sets_how_many_frames_overtake()
    {
        // Only frame 0 is held back (the generator is consulted per frame, so pick a seed where that happens):
        // find it by running until the first frame is the held one.
        for (int seed = 0; seed < 200; seed++)
        {
            var link = new InMemoryLink();
            using var device = new FaultInjectingDevice(
                link.A, new FaultOptions { ReorderProbability = 0.3, ReorderDistance = 3 }, new Random(seed), _clock.Read);
            link.A.Inject(MakeFrames(1)[0]);
            var first = new List<byte[]>();
            device.Receive(f => first.Add(f.ToArray()), 1);
            if (first.Count == 0 && device.ReceiveCounters.Reordered == 1)
            {
                var frames = MakeFrames(8);
                foreach (var f in frames.Skip(1))
                {
                    link.A.Inject(f);
                }
                var order = new List<int>();
                while (device.Receive(f => order.Add(SequenceOf(f.ToArray())), 64) > 0)
                {
                }
                if (device.ReceiveCounters.Reordered == 1)
                {
                    // Frame 0 comes right after the third frame that overtook it.
                    Assert.Equal([1, 2, 3, 0, 4, 5, 6, 7], order);
                    return;
                }
            }
        }
        Assert.Fail("no seed held back only the first frame");
    }

    [Fact]
    public void Held_back_frame_is_overtaken_by_exactly_one_frame()
    {
        // Reorder every frame: each is released when one later frame has gone, or after the hold time.
        using var device = Wrap(new FaultOptions { ReorderProbability = 1, ReorderMaxHold = TimeSpan.FromMilliseconds(10) });
        var frames = MakeFrames(1);

        Assert.Empty(InjectAndReceive(device, frames));
        Assert.Equal(_clock.Now + TimeSpan.FromMilliseconds(10), device.NextDueAt);
        _clock.Advance(TimeSpan.FromMilliseconds(10) - TimeSpan.FromMicroseconds(1));
        Assert.Empty(ReceiveAll(device));
        _clock.Advance(TimeSpan.FromMicroseconds(1));
        Assert.Equal(frames, ReceiveAll(device));
    }

    [Fact]
    public void Delay_releases_at_exactly_the_right_time()
    {
        using var device = Wrap(new FaultOptions { Delay = TimeSpan.FromMilliseconds(5) });
        var frames = MakeFrames(3);
        var start = _clock.Now;

        Assert.Empty(InjectAndReceive(device, frames));
        Assert.Equal(start + TimeSpan.FromMilliseconds(5), device.NextDueAt);
        _clock.Now = start + TimeSpan.FromMilliseconds(5) - TimeSpan.FromMicroseconds(1);
        Assert.Empty(ReceiveAll(device));
        _clock.Now = start + TimeSpan.FromMilliseconds(5);
        Assert.Equal(frames, ReceiveAll(device));
        Assert.Equal(3, device.ReceiveCounters.Delayed);
        Assert.Equal(Instant.MaxValue, device.NextDueAt);
    }

    [Fact]
    public void Jitter_keeps_every_delay_within_its_window()
    {
        using var device = Wrap(new FaultOptions { Delay = TimeSpan.FromMilliseconds(10), Jitter = TimeSpan.FromMilliseconds(5) });
        var frames = MakeFrames(500);
        var start = _clock.Now;
        Assert.Empty(InjectAndReceive(device, frames));

        var arrivals = new List<(int Sequence, TimeSpan Delay)>();
        for (int us = 0; us <= 16_000; us += 100)
        {
            _clock.Now = start + TimeSpan.FromMicroseconds(us);
            foreach (var f in ReceiveAll(device))
            {
                arrivals.Add((SequenceOf(f), _clock.Now - start));
            }
        }

        Assert.Equal(500, arrivals.Count);
        Assert.All(arrivals, a => Assert.InRange(a.Delay, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(15)));
        // Jitter spreads them over the window.
        Assert.True(arrivals.Select(a => a.Delay).Distinct().Count() > 40);
    }

    [Fact]
    public void Corruption_flips_exactly_one_bit()
    {
        var frames = MakeFrames(300);
        using var device = Wrap(new FaultOptions { CorruptProbability = 1 });

        var received = InjectAndReceive(device, frames);

        Assert.Equal(300, received.Count);
        for (int i = 0; i < frames.Count; i++)
        {
            Assert.Equal(frames[i].Length, received[i].Length);
            int flipped = frames[i].Zip(received[i]).Sum(p => BitOperations.PopCount((uint)(p.First ^ p.Second)));
            Assert.Equal(1, flipped);
        }
        Assert.Equal(300, device.ReceiveCounters.Corrupted);
    }

    [Fact]
    public void Truncation_cuts_to_a_proper_prefix()
    {
        var frames = MakeFrames(300);
        using var device = Wrap(new FaultOptions { TruncateProbability = 1 });

        var received = InjectAndReceive(device, frames);

        Assert.Equal(300, received.Count);
        for (int i = 0; i < frames.Count; i++)
        {
            Assert.InRange(received[i].Length, 1, frames[i].Length - 1);
            Assert.Equal(frames[i].AsSpan(0, received[i].Length).ToArray(), received[i]);
        }
    }

    [Fact]
    public void Oversize_frames_are_dropped_and_refused_on_transmit()
    {
        using var device = Wrap(new FaultOptions { MaxFrameSize = 1000 });
        var frames = MakeFrames(200);

        var received = InjectAndReceive(device, frames);
        var results = frames.Select(f => device.Transmit(f)).ToList();

        Assert.Equal(frames.Where(f => f.Length <= 1000), received);
        Assert.Equal(frames.Select(f => f.Length <= 1000), results);
        Assert.Equal(frames.Count(f => f.Length > 1000), device.ReceiveCounters.TooBig);
        Assert.Equal(frames.Where(f => f.Length <= 1000), TakeTransmitted());
    }

    [Fact]
    public void Rate_limit_spaces_frames_by_size_over_rate()
    {
        // 125,000 B/s (1 Mbit/s), a bucket of one frame: 1000-byte frames leave 8 ms apart after the first.
        using var device = Wrap(new FaultOptions { RateLimitBytesPerSecond = 125_000, RateLimitBurstBytes = 1000 });
        var start = _clock.Now;
        var frames = Enumerable.Range(0, 5).Select(i =>
        {
            var f = new byte[1000];
            BinaryPrimitives.WriteInt32BigEndian(f, i);
            return f;
        }).ToList();

        foreach (var f in frames)
        {
            Assert.True(device.Transmit(f));
        }

        var departures = new List<(int Sequence, TimeSpan At)>();
        for (int us = 0; us <= 40_000; us += 500)
        {
            _clock.Now = start + TimeSpan.FromMicroseconds(us);
            device.PumpTransmit();
            departures.AddRange(TakeTransmitted().Select(f => (SequenceOf(f), _clock.Now - start)));
        }

        Assert.Equal(
            Enumerable.Range(0, 5).Select(i => (i, TimeSpan.FromMilliseconds(8 * i))),
            departures);
        Assert.Equal(4, device.TransmitCounters.RateLimited);
    }

    [Fact]
    public void Rate_limit_lets_a_burst_through_after_idling()
    {
        using var device = Wrap(new FaultOptions { RateLimitBytesPerSecond = 125_000, RateLimitBurstBytes = 3000 });
        var frames = Enumerable.Range(0, 3).Select(_ => new byte[1000]).ToList();

        foreach (var f in frames)
        {
            device.Transmit(f);
        }
        // A full bucket sends three 1000-byte frames at once; the fourth waits 8 ms.
        Assert.Equal(3, TakeTransmitted().Count);
        device.Transmit(frames[0]);
        Assert.Empty(TakeTransmitted());
        Assert.Equal(_clock.Now + TimeSpan.FromMilliseconds(8), device.NextDueAt);
    }

    [Fact]
    public void Queue_limit_refuses_frames_beyond_it()
    {
        using var device = Wrap(new FaultOptions { Delay = TimeSpan.FromMilliseconds(1), QueueLimitFrames = 10 });
        var frames = MakeFrames(15);

        var results = frames.Select(f => device.Transmit(f)).ToList();

        Assert.Equal(10, results.Count(r => r));
        Assert.Equal(5, device.TransmitCounters.QueueOverflow);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(10, device.PumpTransmit());
        Assert.Equal(frames.Take(10), TakeTransmitted());
    }

    [Fact]
    public void Invalid_probability_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Wrap(new FaultOptions { DropProbability = 1.5 }));
    }
}
