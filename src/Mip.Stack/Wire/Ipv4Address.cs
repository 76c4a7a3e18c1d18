using System.Buffers.Binary;
using System.Globalization;

namespace Mip.Stack.Wire;

/// <summary>An IPv4 address in host order inside a <see cref="uint"/> (a.b.c.d = a&lt;&lt;24 | ...).</summary>
public readonly record struct Ipv4Address(uint Value)
{
    public const int Length = 4;
    public static readonly Ipv4Address Any = new(0);
    public static readonly Ipv4Address Broadcast = new(0xFFFF_FFFF);

    public Ipv4Address(byte a, byte b, byte c, byte d) : this(((uint)a << 24) | ((uint)b << 16) | ((uint)c << 8) | d) { }

    public bool IsAny => Value == 0;
    public bool IsBroadcast => Value == 0xFFFF_FFFF;
    public bool IsMulticast => (Value >> 28) == 0xE;
    public bool IsLoopback => (Value >> 24) == 127;

    public static Ipv4Address Read(ReadOnlySpan<byte> b) => new(BinaryPrimitives.ReadUInt32BigEndian(b));
    public void Write(Span<byte> b) => BinaryPrimitives.WriteUInt32BigEndian(b, Value);

    /// <summary>A netmask with <paramref name="prefixLength"/> leading ones.</summary>
    public static Ipv4Address MaskFromPrefix(int prefixLength) =>
        new(prefixLength <= 0 ? 0u : uint.MaxValue << (32 - Math.Min(prefixLength, 32)));

    public int PrefixLength => System.Numerics.BitOperations.LeadingZeroCount(~Value);

    public bool SameSubnet(Ipv4Address other, Ipv4Address mask) => (Value & mask.Value) == (other.Value & mask.Value);

    public static Ipv4Address Parse(string s) =>
        TryParse(s, out var a) ? a : throw new FormatException($"'{s}' is not an IPv4 address");

    public static bool TryParse(string? s, out Ipv4Address address)
    {
        address = default;
        if (s is null)
        {
            return false;
        }
        var parts = s.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }
        uint v = 0;
        foreach (var p in parts)
        {
            if (p.Length is < 1 or > 3 || !byte.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var x))
            {
                return false;
            }
            v = (v << 8) | x;
        }
        address = new Ipv4Address(v);
        return true;
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Value >> 24}.{(Value >> 16) & 0xFF}.{(Value >> 8) & 0xFF}.{Value & 0xFF}");
}
