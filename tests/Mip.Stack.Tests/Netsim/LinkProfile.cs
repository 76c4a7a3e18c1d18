using Mip.Stack.Phy;

namespace Mip.Stack.Tests.Netsim;

/// <summary>
/// What the simulated cable does, the same in both directions: a bottleneck rate with a bounded queue (like a
/// router's), a fixed one-way delay, and netem-style faults. Everything is drawn from seeded generators.
/// </summary>
internal sealed record LinkProfile
{
    public long RateBitsPerSecond { get; init; } = 1_000_000_000;
    public int QueueFrames { get; init; } = 2048;
    public TimeSpan OneWayDelay { get; init; }
    public double Loss { get; init; }
    public double Reorder { get; init; }
    public double Duplicate { get; init; }
    public double Corrupt { get; init; }

    public FaultOptions ToFaultOptions() => new()
    {
        RateLimitBytesPerSecond = RateBitsPerSecond / 8,
        // One full-size frame of burst: the link serialises frames back to back at the rate and no faster.
        RateLimitBurstBytes = 1514,
        QueueLimitFrames = QueueFrames,
        Delay = OneWayDelay,
        DropProbability = Loss,
        ReorderProbability = Reorder,
        // Reordered frames are overtaken by a few successors, or released after 5 ms on an idle link.
        ReorderDistance = 3,
        ReorderMaxHold = TimeSpan.FromMilliseconds(5),
        DuplicateProbability = Duplicate,
        CorruptProbability = Corrupt,
    };
}
