using Google.Protobuf.WellKnownTypes;
using Mip.Server.Hosting;
using Mip.Stack;

namespace Mip.Server.Grpc;

/// <summary>
/// Maps the stack's monotonic <see cref="Instant"/>s to wall-clock time for clients: one UTC anchor taken when the
/// server starts, so timestamps stay consistent with each other even if the system clock is stepped later.
/// </summary>
internal sealed class StackClock(DateTimeOffset epoch)
{
    /// <summary>The clock of a running server: <see cref="Instant.Zero"/> is process start (see <see cref="MonotonicClock"/>).</summary>
    public static StackClock FromMonotonic() => new(DateTimeOffset.UtcNow - (MonotonicClock.Now - Instant.Zero));

    /// <summary>Wall time of <see cref="Instant.Zero"/>.</summary>
    public DateTimeOffset Epoch { get; } = epoch;

    public DateTimeOffset ToDateTime(Instant at) => Epoch.AddTicks(at.Microseconds * TimeSpan.TicksPerMicrosecond);

    /// <summary>The protobuf timestamp of <paramref name="at"/>; null for <see cref="Instant.MaxValue"/> ("never").</summary>
    public Timestamp? ToTimestamp(Instant at) => at == Instant.MaxValue ? null : Timestamp.FromDateTimeOffset(ToDateTime(at));
}
