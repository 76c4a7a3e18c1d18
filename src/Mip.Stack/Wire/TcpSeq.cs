namespace Mip.Stack.Wire;

/// <summary>
/// A TCP sequence number: a point on the 2^32 circle (RFC 9293 §3.4). Comparison is modular: <c>a &lt; b</c> iff the
/// signed 32-bit difference <c>(int)(a - b)</c> is negative, which is meaningful while the two numbers are less than
/// 2^31 apart (the window and the 2·MSL lifetime keep live numbers far closer than that).
/// </summary>
/// <remarks>
/// Deliberately not <see cref="IComparable{T}"/>: modular order is not transitive over the whole circle, so it must
/// not be fed to sorting algorithms. Compare numbers that belong to one window only.
/// </remarks>
public readonly record struct TcpSeq(uint Value)
{
    /// <summary>Advances by <paramref name="delta"/> bytes, wrapping at 2^32.</summary>
    public static TcpSeq operator +(TcpSeq a, int delta) => new(unchecked(a.Value + (uint)delta));

    /// <summary>Moves back by <paramref name="delta"/> bytes, wrapping at 2^32.</summary>
    public static TcpSeq operator -(TcpSeq a, int delta) => new(unchecked(a.Value - (uint)delta));

    /// <summary>The signed distance <c>a - b</c> (RFC 9293 §3.4 arithmetic modulo 2^32, read as a 32-bit int).</summary>
    public static int operator -(TcpSeq a, TcpSeq b) => unchecked((int)(a.Value - b.Value));

    public static bool operator <(TcpSeq a, TcpSeq b) => (a - b) < 0;
    public static bool operator >(TcpSeq a, TcpSeq b) => (a - b) > 0;
    public static bool operator <=(TcpSeq a, TcpSeq b) => (a - b) <= 0;
    public static bool operator >=(TcpSeq a, TcpSeq b) => (a - b) >= 0;

    /// <summary>The forward distance from <paramref name="from"/> to this number, as an unsigned count (0..2^32-1).</summary>
    public uint DistanceFrom(TcpSeq from) => unchecked(Value - from.Value);

    /// <summary>True if <paramref name="start"/> &lt;= this &lt; <paramref name="end"/> on the circle (window test).</summary>
    public bool IsInRange(TcpSeq start, TcpSeq end) => DistanceFrom(start) < end.DistanceFrom(start);

    /// <summary>The later of two numbers in modular order.</summary>
    public static TcpSeq Max(TcpSeq a, TcpSeq b) => a >= b ? a : b;

    /// <summary>The earlier of two numbers in modular order.</summary>
    public static TcpSeq Min(TcpSeq a, TcpSeq b) => a <= b ? a : b;

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
