namespace Mip.Stack.Phy;

/// <summary>What a <see cref="FaultInjectingDevice"/> did to the frames of one direction.</summary>
public sealed class FaultCounters
{
    /// <summary>Frames offered to the fault pipeline.</summary>
    public long Frames { get; internal set; }

    /// <summary>Frames (including duplicates) handed on: to the stack on receive, to the inner device on transmit.</summary>
    public long Delivered { get; internal set; }

    /// <summary>Frames lost by <see cref="FaultOptions.DropProbability"/>.</summary>
    public long Dropped { get; internal set; }

    /// <summary>Frames dropped for exceeding <see cref="FaultOptions.MaxFrameSize"/>.</summary>
    public long TooBig { get; internal set; }

    /// <summary>Frames dropped because <see cref="FaultOptions.QueueLimitFrames"/> frames were already waiting.</summary>
    public long QueueOverflow { get; internal set; }

    /// <summary>Frames sent twice.</summary>
    public long Duplicated { get; internal set; }

    /// <summary>Frames held back so that later ones overtake them.</summary>
    public long Reordered { get; internal set; }

    /// <summary>Frames with one bit flipped.</summary>
    public long Corrupted { get; internal set; }

    /// <summary>Frames cut short.</summary>
    public long Truncated { get; internal set; }

    /// <summary>Frames given a non-zero delay.</summary>
    public long Delayed { get; internal set; }

    /// <summary>Frames (copies counted) that had to wait for rate-limit tokens.</summary>
    public long RateLimited { get; internal set; }

    /// <summary>Transmit only: frames the inner device refused.</summary>
    public long InnerRejected { get; internal set; }

    public override string ToString() =>
        $"frames={Frames} delivered={Delivered} dropped={Dropped} tooBig={TooBig} overflow={QueueOverflow} " +
        $"duplicated={Duplicated} reordered={Reordered} corrupted={Corrupted} truncated={Truncated} " +
        $"delayed={Delayed} rateLimited={RateLimited} innerRejected={InnerRejected}";
}
