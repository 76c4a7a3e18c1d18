namespace Mip.Stack.Sockets.Tcp;

/// <summary>Shared bounds and helpers that keep window arithmetic overflow-safe.</summary>
internal static class CongestionWindowLimits
{
    /// <summary>
    /// Largest congestion window and ssthresh: 1 GiB, the same as the largest window TCP can advertise
    /// (65535 &lt;&lt; 14, RFC 7323 §2.3), so no sender could ever use more.
    /// </summary>
    public const long MaxWindow = 1L << 30;

    /// <summary>SMSS bounds: 1 keeps divisions safe; 65535 is the largest MSS option value (RFC 9293 §3.7.1).</summary>
    public const int MinMss = 1;

    public const int MaxMss = ushort.MaxValue;

    public static int ClampMss(int mss) => Math.Clamp(mss, MinMss, MaxMss);

    /// <summary>Clamps a byte count from the socket (acked bytes, flight size) into [0, MaxWindow].</summary>
    public static long ClampBytes(long bytes) => Math.Clamp(bytes, 0, MaxWindow);

    /// <summary>Both operands are in [0, MaxWindow], so the sum cannot overflow before the clamp.</summary>
    public static long Add(long window, long increase) => Math.Min(ClampBytes(window) + ClampBytes(increase), MaxWindow);

    /// <summary>RFC 6928 §2: IW = min(10·MSS, max(2·MSS, 14600)).</summary>
    public static long InitialWindow(int mss) => Math.Min(10L * mss, Math.Max(2L * mss, 14_600));

    /// <summary>RFC 5681 §3.1 equation (4) floor: ssthresh is at least two segments.</summary>
    public static long MinSlowStartThreshold(int mss) => 2L * mss;
}
