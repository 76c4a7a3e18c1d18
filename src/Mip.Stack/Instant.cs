namespace Mip.Stack;

/// <summary>
/// A point in stack time, in microseconds since an arbitrary epoch chosen by the host.
/// The stack never reads a clock: every entry point takes the current <see cref="Instant"/>.
/// </summary>
public readonly record struct Instant(long Microseconds) : IComparable<Instant>
{
    public static readonly Instant Zero = new(0);
    public static readonly Instant MaxValue = new(long.MaxValue);

    public static Instant FromMilliseconds(long ms) => new(ms * 1000);
    public static Instant FromSeconds(double s) => new((long)(s * 1_000_000));

    public long Milliseconds => Microseconds / 1000;

    public static Instant operator +(Instant a, TimeSpan d) => new(SaturatingAdd(a.Microseconds, (long)(d.Ticks / 10)));
    public static Instant operator -(Instant a, TimeSpan d) => new(a.Microseconds - d.Ticks / 10);
    public static TimeSpan operator -(Instant a, Instant b) => TimeSpan.FromTicks((a.Microseconds - b.Microseconds) * 10);
    public static bool operator <(Instant a, Instant b) => a.Microseconds < b.Microseconds;
    public static bool operator >(Instant a, Instant b) => a.Microseconds > b.Microseconds;
    public static bool operator <=(Instant a, Instant b) => a.Microseconds <= b.Microseconds;
    public static bool operator >=(Instant a, Instant b) => a.Microseconds >= b.Microseconds;

    public static Instant Min(Instant a, Instant b) => a <= b ? a : b;
    public static Instant Max(Instant a, Instant b) => a >= b ? a : b;

    public int CompareTo(Instant other) => Microseconds.CompareTo(other.Microseconds);

    public override string ToString() => $"{Microseconds / 1_000_000}.{Microseconds % 1_000_000:D6}s";

    private static long SaturatingAdd(long a, long b)
    {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? (b > 0 ? long.MaxValue : long.MinValue) : r;
    }
}
