using System.Buffers;

namespace Mip.Stack.Phy;

/// <summary>What the fault pipeline decided for one offered frame.</summary>
internal enum FaultVerdict : byte
{
    /// <summary>Unchanged and due now with nothing waiting ahead: hand the caller's span on directly (no copy).</summary>
    PassThrough,

    /// <summary>Copied into the lane's queue; it comes out of <see cref="FaultLane.TryTakeDue"/> when due.</summary>
    Queued,

    /// <summary>Lost on the "wire" (drop probability): invisible to the sender.</summary>
    Lost,

    /// <summary>Refused locally (too big, queue full): a sender would see the error.</summary>
    Refused,
}

/// <summary>
/// The fault pipeline of one direction of a <see cref="FaultInjectingDevice"/>: decides each frame's fate with its own
/// seeded <see cref="Random"/>, and holds delayed, shaped and held-back frames in pooled buffers until due.
/// </summary>
internal sealed class FaultLane : IDisposable
{
    private readonly FaultOptions _options;
    private readonly Random _random;

    // Due frames, earliest first; ties keep offer order through the sequence number.
    private readonly PriorityQueue<Frame, (long DueMicros, long Sequence)> _queue = new();
    private readonly List<HeldFrame> _held = [];
    // Offer order; a released held-back frame takes the next number, right behind the frame that overtook it last.
    private long _sequence;
    private long _enqueued;

    // Token bucket in byte·microseconds per second units (bytes × 10^6), so refills and waits are exact integers.
    private long _tokens;
    private Instant _bucketAt;
    private Instant _lastDeparture;
    private bool _bucketStarted;

    public FaultLane(FaultOptions options, Random random)
    {
        options.Validate();
        _options = options;
        _random = random;
    }

    public FaultCounters Counters { get; } = new();

    /// <summary>Frames waiting in this lane (queued or held back).</summary>
    public int Waiting => _queue.Count + _held.Count;

    /// <summary>Earliest time a waiting frame comes due; <see cref="Instant.MaxValue"/> when none waits.</summary>
    public Instant NextDue
    {
        get
        {
            var next = _queue.TryPeek(out _, out var priority) ? new Instant(priority.DueMicros) : Instant.MaxValue;
            foreach (var held in _held)
            {
                next = Instant.Min(next, held.HoldUntil);
            }
            return next;
        }
    }

    /// <summary>Runs one frame through the faults. On <see cref="FaultVerdict.PassThrough"/> the caller delivers it and calls <see cref="OnDelivered"/>.</summary>
    public FaultVerdict Offer(ReadOnlySpan<byte> frame, Instant now)
    {
        var c = Counters;
        c.Frames++;
        var o = _options;
        if (o.MaxFrameSize > 0 && frame.Length > o.MaxFrameSize)
        {
            c.TooBig++;
            return FaultVerdict.Refused;
        }
        if (Chance(o.DropProbability))
        {
            c.Dropped++;
            return FaultVerdict.Lost;
        }

        // Draws happen in a fixed order and only for enabled faults, so a seed always gives the same story.
        int length = frame.Length;
        if (frame.Length > 1 && Chance(o.TruncateProbability))
        {
            length = _random.Next(1, frame.Length);
            c.Truncated++;
        }
        int flipBit = -1;
        if (length > 0 && Chance(o.CorruptProbability))
        {
            flipBit = _random.Next(length * 8);
            c.Corrupted++;
        }
        bool duplicate = Chance(o.DuplicateProbability);
        if (duplicate)
        {
            c.Duplicated++;
        }
        long delayMicros = o.Delay.Ticks / TimeSpan.TicksPerMicrosecond;
        if (o.Jitter > TimeSpan.Zero)
        {
            delayMicros += _random.NextInt64(o.Jitter.Ticks / TimeSpan.TicksPerMicrosecond + 1);
        }
        if (delayMicros > 0)
        {
            c.Delayed++;
        }
        bool holdBack = Chance(o.ReorderProbability);

        bool unchanged = length == frame.Length && flipBit < 0;
        if (unchanged && !duplicate && !holdBack && delayMicros == 0 && Waiting == 0)
        {
            var departure = Shape(now, length);
            // Shaped into the future, it must wait like any other frame (its tokens are already spent).
            return departure == now ? FaultVerdict.PassThrough : Enqueue(frame, length, -1, departure, holdBack: false);
        }

        var ready = now + TimeSpan.FromTicks(delayMicros * TimeSpan.TicksPerMicrosecond);
        var verdict = EnqueueShaped(frame, length, flipBit, ready, holdBack);
        if (duplicate && verdict == FaultVerdict.Queued)
        {
            EnqueueShaped(frame, length, flipBit, ready, holdBack: false);
        }
        return verdict;
    }

    /// <summary>Takes the next frame due at <paramref name="now"/>; give the buffer back with <see cref="Return"/>.</summary>
    public bool TryTakeDue(Instant now, out byte[] buffer, out int length)
    {
        ReleaseHeld(now);
        if (_queue.TryPeek(out var frame, out var priority) && priority.DueMicros <= now.Microseconds)
        {
            _queue.Dequeue();
            buffer = frame.Buffer;
            length = frame.Length;
            return true;
        }
        buffer = [];
        length = 0;
        return false;
    }

    /// <summary>Records that a frame left the lane.</summary>
    public void OnDelivered() => Counters.Delivered++;

    public static void Return(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);

    public void Dispose()
    {
        while (_queue.TryDequeue(out var frame, out _))
        {
            Return(frame.Buffer);
        }
        foreach (var held in _held)
        {
            Return(held.Frame.Buffer);
        }
        _held.Clear();
    }

    private bool Chance(double p) => p > 0 && (p >= 1 || _random.NextDouble() < p);

    private FaultVerdict EnqueueShaped(ReadOnlySpan<byte> frame, int length, int flipBit, Instant ready, bool holdBack)
    {
        if (Waiting >= _options.QueueLimitFrames)
        {
            Counters.QueueOverflow++;
            return FaultVerdict.Refused;
        }
        return Enqueue(frame, length, flipBit, Shape(ready, length), holdBack);
    }

    private FaultVerdict Enqueue(ReadOnlySpan<byte> frame, int length, int flipBit, Instant due, bool holdBack)
    {
        if (Waiting >= _options.QueueLimitFrames)
        {
            Counters.QueueOverflow++;
            return FaultVerdict.Refused;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        frame[..length].CopyTo(buffer);
        if (flipBit >= 0)
        {
            buffer[flipBit >> 3] ^= (byte)(1 << (flipBit & 7));
        }
        var copy = new Frame(buffer, length);
        if (holdBack)
        {
            Counters.Reordered++;
            _held.Add(new HeldFrame(copy, _enqueued + _options.ReorderDistance, due, due + _options.ReorderMaxHold));
        }
        else
        {
            _queue.Enqueue(copy, (due.Microseconds, _sequence++));
            _enqueued++;
            ReleaseOvertaken(due);
        }
        return FaultVerdict.Queued;
    }

    /// <summary>Queues the held-back frames that the frame just queued was the last to overtake, right behind it.</summary>
    private void ReleaseOvertaken(Instant due)
    {
        for (int i = 0; i < _held.Count; i++)
        {
            var held = _held[i];
            if (_enqueued >= held.ReleaseAfterEnqueued)
            {
                _held.RemoveAt(i--);
                _queue.Enqueue(held.Frame, (Instant.Max(held.Due, due).Microseconds, _sequence++));
            }
        }
    }

    /// <summary>Queues held-back frames whose maximum hold ran out with too few frames behind them.</summary>
    private void ReleaseHeld(Instant now)
    {
        for (int i = 0; i < _held.Count; i++)
        {
            var held = _held[i];
            if (now >= held.HoldUntil)
            {
                _held.RemoveAt(i--);
                _queue.Enqueue(held.Frame, (Instant.Max(held.Due, now).Microseconds, _sequence++));
            }
        }
    }

    /// <summary>
    /// Token bucket shaper: returns when a frame of <paramref name="bytes"/> ready at <paramref name="ready"/> may
    /// leave, spending its tokens. Frames leave in offer order (a frame never departs before the previous one).
    /// </summary>
    private Instant Shape(Instant ready, int bytes)
    {
        long rate = _options.RateLimitBytesPerSecond;
        if (rate <= 0)
        {
            return ready;
        }

        const long Scale = 1_000_000;
        long capacity = _options.RateLimitBurstBytes * Scale;
        var start = Instant.Max(ready, _lastDeparture);
        if (!_bucketStarted)
        {
            _bucketStarted = true;
            _tokens = capacity;
            _bucketAt = start;
        }

        long elapsed = (start - _bucketAt).Ticks / TimeSpan.TicksPerMicrosecond;
        _tokens = elapsed >= (capacity - _tokens) / rate + 1 ? capacity : Math.Min(capacity, _tokens + (elapsed * rate));
        _bucketAt = start;

        long need = bytes * Scale;
        var depart = start;
        if (_tokens < need)
        {
            long waitMicros = (need - _tokens + rate - 1) / rate;
            _tokens += waitMicros * rate;
            depart = start + TimeSpan.FromTicks(waitMicros * TimeSpan.TicksPerMicrosecond);
            _bucketAt = depart;
            Counters.RateLimited++;
        }
        _tokens -= need;
        _lastDeparture = depart;
        return depart;
    }

    private readonly record struct Frame(byte[] Buffer, int Length);

    private readonly record struct HeldFrame(Frame Frame, long ReleaseAfterEnqueued, Instant Due, Instant HoldUntil);
}
