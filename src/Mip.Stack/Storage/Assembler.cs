using Mip.Stack.Wire;

namespace Mip.Stack.Storage;

/// <summary>
/// Out-of-order reassembly bookkeeping for the TCP receive side (RFC 9293 §3.10.7.4: segments beyond RCV.NXT may be
/// held for later). The bytes themselves sit in the receive <see cref="RingBuffer"/> at their offset from the in-order
/// point; this type only remembers which byte ranges past that point have arrived, as a sorted list of disjoint,
/// non-adjacent [start, end) ranges. Memory is bounded by bytes (the ring, which the socket trims segments to via
/// RCV.WND), not by a small gap count: the range table starts at 64 entries and grows to MaxRanges, and a range that
/// would need one more entry than that is refused (<see cref="AssemblerResult.TooManyRanges"/>).
/// </summary>
/// <remarks>
/// Positions are kept as 64-bit byte counts since <see cref="Reset"/>, so advancing the front never rewrites the table.
/// Offsets given to <see cref="Add"/> are relative to the current front (RCV.NXT).
/// </remarks>
internal sealed class Assembler
{
    public const int DefaultMaxRanges = 64;

    private readonly int _maxRanges;
    private long[] _starts;
    private long[] _ends;
    private long[] _stamps; // recency of the last Add that touched each range, for SACK order
    private long _front;
    private long _clock;

    public Assembler(int maxRanges = DefaultMaxRanges)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRanges, 1);
        _maxRanges = maxRanges;
        int initial = Math.Min(maxRanges, DefaultMaxRanges);
        _starts = new long[initial];
        _ends = new long[initial];
        _stamps = new long[initial];
    }

    /// <summary>
    /// Most ranges held. The table starts at <see cref="DefaultMaxRanges"/> entries (or fewer) and doubles up to this
    /// when a burst of losses leaves more holes: rare, amortised, never per segment in steady state.
    /// </summary>
    public int MaxRanges => _maxRanges;

    /// <summary>Number of disjoint out-of-order ranges held.</summary>
    public int RangeCount { get; private set; }

    public bool IsEmpty => RangeCount == 0;

    /// <summary>Bytes held out of order (the sum of all range lengths).</summary>
    public long BufferedBytes
    {
        get
        {
            long total = 0;
            for (int i = 0; i < RangeCount; i++)
            {
                total += _ends[i] - _starts[i];
            }
            return total;
        }
    }

    /// <summary>The <paramref name="index"/>-th range in sequence order, as (offset from the front, length).</summary>
    public (int Offset, int Length) GetRange(int index)
    {
        if ((uint)index >= (uint)RangeCount)
        {
            throw new ArgumentOutOfRangeException(nameof(index));
        }
        return ((int)(_starts[index] - _front), (int)(_ends[index] - _starts[index]));
    }

    /// <summary>
    /// Records that <paramref name="length"/> bytes at <paramref name="offset"/> past the front have been stored.
    /// A negative offset (a retransmission overlapping delivered data) is trimmed to the front. On return
    /// <paramref name="advanced"/> is how many bytes became contiguous at the front: the caller commits that many ring
    /// bytes and moves RCV.NXT by it; later offsets are relative to the new front.
    /// </summary>
    public AssemblerResult Add(int offset, int length, out int advanced)
    {
        advanced = 0;
        long start = _front + offset;
        long end = start + length;
        start = Math.Max(start, _front);
        if (end <= start)
        {
            return AssemblerResult.Accepted; // empty, or entirely old data
        }

        // First range whose end reaches the new start (touching ranges merge: RFC 2018 §4 reports maximal blocks).
        int i = 0;
        while (i < RangeCount && _ends[i] < start)
        {
            i++;
        }
        int j = i;
        while (j < RangeCount && _starts[j] <= end)
        {
            start = Math.Min(start, _starts[j]);
            end = Math.Max(end, _ends[j]);
            j++;
        }

        if (j > i)
        {
            // Merge ranges i..j-1 into slot i.
            _starts[i] = start;
            _ends[i] = end;
            _stamps[i] = ++_clock;
            RemoveRange(i + 1, j - i - 1);
        }
        else if (start == _front)
        {
            // In-order data touching nothing: delivered at once, no entry needed.
            _front = end;
            advanced = (int)(end - start);
            return AssemblerResult.Accepted;
        }
        else
        {
            if (RangeCount == _starts.Length && !Grow())
            {
                return AssemblerResult.TooManyRanges;
            }
            Insert(i, start, end);
        }

        if (_starts[0] == _front)
        {
            advanced = (int)(_ends[0] - _front);
            _front = _ends[0];
            RemoveRange(0, 1);
        }
        return AssemblerResult.Accepted;
    }

    /// <summary>
    /// The SACK blocks to send (RFC 2018 §4): the block holding the most recently received segment first, then the
    /// other ranges from the most recently changed to the least, as many as <paramref name="max"/> (at most
    /// <see cref="TcpSackBlocks.Capacity"/>) allows. <paramref name="receiveNext"/> is RCV.NXT, the front's sequence
    /// number.
    /// </summary>
    public TcpSackBlocks GetSackBlocks(TcpSeq receiveNext, int max = TcpSackBlocks.Capacity)
    {
        var blocks = default(TcpSackBlocks);
        max = Math.Min(max, TcpSackBlocks.Capacity);
        long lastStamp = long.MaxValue;
        // Selection by descending stamp: a few passes over at most MaxRanges entries, no sorting buffer.
        for (int k = 0; k < max; k++)
        {
            int best = -1;
            for (int i = 0; i < RangeCount; i++)
            {
                if (_stamps[i] < lastStamp && (best < 0 || _stamps[i] > _stamps[best]))
                {
                    best = i;
                }
            }
            if (best < 0)
            {
                break;
            }
            lastStamp = _stamps[best];
            var left = receiveNext + (int)(_starts[best] - _front);
            var right = receiveNext + (int)(_ends[best] - _front);
            blocks.TryAdd(new TcpSackBlock(left, right), out blocks);
        }
        return blocks;
    }

    /// <summary>Forgets all ranges and makes the current position the new front (offset 0).</summary>
    public void Reset()
    {
        RangeCount = 0;
        _front = 0;
        _clock = 0;
    }

    private bool Grow()
    {
        if (_starts.Length >= _maxRanges)
        {
            return false;
        }
        int n = (int)Math.Min(_maxRanges, 2L * _starts.Length);
        Array.Resize(ref _starts, n);
        Array.Resize(ref _ends, n);
        Array.Resize(ref _stamps, n);
        return true;
    }

    private void Insert(int index, long start, long end)
    {
        int tail = RangeCount - index;
        Array.Copy(_starts, index, _starts, index + 1, tail);
        Array.Copy(_ends, index, _ends, index + 1, tail);
        Array.Copy(_stamps, index, _stamps, index + 1, tail);
        _starts[index] = start;
        _ends[index] = end;
        _stamps[index] = ++_clock;
        RangeCount++;
    }

    private void RemoveRange(int index, int count)
    {
        if (count <= 0)
        {
            return;
        }
        int tail = RangeCount - index - count;
        Array.Copy(_starts, index + count, _starts, index, tail);
        Array.Copy(_ends, index + count, _ends, index, tail);
        Array.Copy(_stamps, index + count, _stamps, index, tail);
        RangeCount -= count;
    }
}
