namespace Mip.Stack.Phy;

/// <summary>One frame read back from a pcap file.</summary>
/// <param name="UnixNanoseconds">Capture time in nanoseconds since 1970-01-01 UTC.</param>
/// <param name="OriginalLength">Length of the frame on the wire; <paramref name="Data"/> may be shorter (snap length).</param>
/// <param name="Data">The bytes stored in the file.</param>
public sealed record PcapRecord(long UnixNanoseconds, int OriginalLength, byte[] Data)
{
    /// <summary>The capture time, to the 100 ns resolution of <see cref="DateTimeOffset"/>.</summary>
    public DateTimeOffset Timestamp => DateTimeOffset.UnixEpoch.AddTicks(UnixNanoseconds / TimeSpan.NanosecondsPerTick);
}
