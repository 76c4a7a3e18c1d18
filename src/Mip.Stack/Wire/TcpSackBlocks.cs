namespace Mip.Stack.Wire;

/// <summary>
/// Up to four SACK blocks held inline (no allocation). Four is the most a 40-byte option area can carry
/// (RFC 2018 §3: 2 + 8·4 = 34 bytes); with timestamps only three fit.
/// </summary>
public readonly struct TcpSackBlocks : IEquatable<TcpSackBlocks>
{
    /// <summary>The largest number of blocks one segment can carry.</summary>
    public const int Capacity = 4;

    private readonly TcpSackBlock _b0, _b1, _b2, _b3;

    private TcpSackBlocks(TcpSackBlock b0, TcpSackBlock b1, TcpSackBlock b2, TcpSackBlock b3, int count)
    {
        (_b0, _b1, _b2, _b3) = (b0, b1, b2, b3);
        Count = count;
    }

    /// <summary>How many blocks are present (0..4).</summary>
    public int Count { get; }

    public bool IsEmpty => Count == 0;

    /// <summary>The block at <paramref name="index"/> (0 = first on the wire, the most recent per RFC 2018 §4).</summary>
    public TcpSackBlock this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index));
            }
            return index switch { 0 => _b0, 1 => _b1, 2 => _b2, _ => _b3 };
        }
    }

    /// <summary>A copy with <paramref name="block"/> appended; returns this unchanged (and false) when full.</summary>
    public bool TryAdd(TcpSackBlock block, out TcpSackBlocks result)
    {
        result = Count switch
        {
            0 => new TcpSackBlocks(block, default, default, default, 1),
            1 => new TcpSackBlocks(_b0, block, default, default, 2),
            2 => new TcpSackBlocks(_b0, _b1, block, default, 3),
            3 => new TcpSackBlocks(_b0, _b1, _b2, block, 4),
            _ => this,
        };
        return Count < Capacity;
    }

    /// <summary>Builds a set from <paramref name="blocks"/>; anything past <see cref="Capacity"/> is dropped.</summary>
    public static TcpSackBlocks From(ReadOnlySpan<TcpSackBlock> blocks)
    {
        var r = default(TcpSackBlocks);
        foreach (var b in blocks)
        {
            if (!r.TryAdd(b, out r))
            {
                break;
            }
        }
        return r;
    }

    /// <summary>The first <paramref name="count"/> blocks (used when the option area cannot hold them all).</summary>
    public TcpSackBlocks Take(int count)
    {
        count = Math.Clamp(count, 0, Count);
        return new TcpSackBlocks(
            count > 0 ? _b0 : default, count > 1 ? _b1 : default, count > 2 ? _b2 : default, count > 3 ? _b3 : default,
            count);
    }

    public bool Equals(TcpSackBlocks other)
    {
        if (Count != other.Count)
        {
            return false;
        }
        for (int i = 0; i < Count; i++)
        {
            if (this[i] != other[i])
            {
                return false;
            }
        }
        return true;
    }

    public override bool Equals(object? obj) => obj is TcpSackBlocks other && Equals(other);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Count);
        for (int i = 0; i < Count; i++)
        {
            h.Add(this[i]);
        }
        return h.ToHashCode();
    }

    public static bool operator ==(TcpSackBlocks left, TcpSackBlocks right) => left.Equals(right);
    public static bool operator !=(TcpSackBlocks left, TcpSackBlocks right) => !left.Equals(right);

    public override string ToString()
    {
        var parts = new string[Count];
        for (int i = 0; i < Count; i++)
        {
            parts[i] = $"{this[i].Left}-{this[i].Right}";
        }
        return "[" + string.Join(", ", parts) + "]";
    }
}
