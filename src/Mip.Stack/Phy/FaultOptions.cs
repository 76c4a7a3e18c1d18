namespace Mip.Stack.Phy;

/// <summary>
/// What a <see cref="FaultInjectingDevice"/> does to the frames of one direction. Everything is off by default;
/// probabilities are per frame, in [0, 1]. Faults apply in this order: size limit, drop, truncate, corrupt,
/// duplicate, delay (+ jitter), rate limit, reorder.
/// </summary>
public sealed record FaultOptions
{
    /// <summary>No faults: frames pass through unchanged, in order, without copies.</summary>
    public static FaultOptions None { get; } = new();

    /// <summary>Chance that a frame is lost.</summary>
    public double DropProbability { get; init; }

    /// <summary>Chance that a frame is delivered twice (the copy right behind it).</summary>
    public double DuplicateProbability { get; init; }

    /// <summary>Chance that a frame is held back and released after <see cref="ReorderDistance"/> later frames.</summary>
    public double ReorderProbability { get; init; }

    /// <summary>How many later frames overtake a held-back frame. Default 1 (a swap with its successor).</summary>
    public int ReorderDistance { get; init; } = 1;

    /// <summary>A held-back frame is released after this long even if no later frame came. Default 10 ms.</summary>
    public TimeSpan ReorderMaxHold { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Fixed one-way delay added to every frame.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Extra delay drawn uniformly from [0, Jitter] per frame (so frames may overtake each other, like netem).</summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>Chance that exactly one bit of a frame is flipped.</summary>
    public double CorruptProbability { get; init; }

    /// <summary>Chance that a frame is cut to a random length in [1, length - 1].</summary>
    public double TruncateProbability { get; init; }

    /// <summary>Frames longer than this many bytes are dropped (counted as too big); 0 means no limit.</summary>
    public int MaxFrameSize { get; init; }

    /// <summary>Token bucket rate in bytes per second; frames wait for tokens (shaping). 0 means unlimited.</summary>
    public long RateLimitBytesPerSecond { get; init; }

    /// <summary>Token bucket depth in bytes: what may go back to back after idling. Default 16 KiB.</summary>
    public int RateLimitBurstBytes { get; init; } = 16 * 1024;

    /// <summary>Frames waiting (delayed, shaped or held back) at most; beyond, new frames are dropped. Default 4096.</summary>
    public int QueueLimitFrames { get; init; } = 4096;

    internal void Validate()
    {
        CheckProbability(DropProbability, nameof(DropProbability));
        CheckProbability(DuplicateProbability, nameof(DuplicateProbability));
        CheckProbability(ReorderProbability, nameof(ReorderProbability));
        CheckProbability(CorruptProbability, nameof(CorruptProbability));
        CheckProbability(TruncateProbability, nameof(TruncateProbability));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ReorderDistance, nameof(ReorderDistance));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReorderMaxHold, TimeSpan.Zero, nameof(ReorderMaxHold));
        ArgumentOutOfRangeException.ThrowIfLessThan(Delay, TimeSpan.Zero, nameof(Delay));
        ArgumentOutOfRangeException.ThrowIfLessThan(Jitter, TimeSpan.Zero, nameof(Jitter));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxFrameSize, nameof(MaxFrameSize));
        ArgumentOutOfRangeException.ThrowIfNegative(RateLimitBytesPerSecond, nameof(RateLimitBytesPerSecond));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(RateLimitBurstBytes, nameof(RateLimitBurstBytes));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(QueueLimitFrames, nameof(QueueLimitFrames));
    }

    private static void CheckProbability(double p, string name)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(name, p, "A probability must be in [0, 1].");
        }
    }
}
