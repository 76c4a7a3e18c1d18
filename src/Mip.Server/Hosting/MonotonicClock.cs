using System.Diagnostics;
using Mip.Stack;

namespace Mip.Server.Hosting;

/// <summary>The stack's time source on a real host: the monotonic Stopwatch, in microseconds since process start.</summary>
internal static class MonotonicClock
{
    private static readonly long Origin = Stopwatch.GetTimestamp();

    public static Instant Now => new((long)((Stopwatch.GetTimestamp() - Origin) * (1_000_000.0 / Stopwatch.Frequency)));
}
