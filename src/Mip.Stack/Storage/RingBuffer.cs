namespace Mip.Stack.Storage;

/// <summary>
/// A fixed-capacity byte ring for TCP send and receive buffers. Readable bytes run from the head for
/// <see cref="Count"/> bytes; the free space after them can be written at any offset (out-of-order segments land at
/// their place, see <see cref="Assembler"/>) and is made readable by <see cref="CommitWrite"/>. The send side reads
/// at an offset from the head without consuming (<see cref="Peek"/>, <see cref="GetReadableSpans(int, int, out ReadOnlySpan{byte}, out ReadOnlySpan{byte})"/>) for
/// retransmission and drops acknowledged bytes with <see cref="Discard"/>. No method allocates except
/// <see cref="Resize"/>, which receive-buffer auto-tuning calls explicitly.
/// </summary>
internal sealed class RingBuffer
{
    private readonly bool _holdsDataBeyondCount;
    private byte[] _buffer;
    private int _head;

    /// <param name="capacity">Size in bytes.</param>
    /// <param name="holdsDataBeyondCount">
    /// True for a receive buffer that keeps out-of-order bytes past the readable ones (<see cref="WriteAt"/>): the
    /// ring must then never move its head when it runs empty, or those bytes would lose their place.
    /// </param>
    public RingBuffer(int capacity, bool holdsDataBeyondCount = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _buffer = new byte[capacity];
        _holdsDataBeyondCount = holdsDataBeyondCount;
    }

    public int Capacity => _buffer.Length;

    /// <summary>Readable bytes (committed, not yet dequeued or discarded).</summary>
    public int Count { get; private set; }

    /// <summary>Free bytes after the readable ones.</summary>
    public int Free => _buffer.Length - Count;

    public bool IsEmpty => Count == 0;
    public bool IsFull => Count == _buffer.Length;

    /// <summary>Appends as much of <paramref name="data"/> as fits; returns the number of bytes taken.</summary>
    public int Enqueue(ReadOnlySpan<byte> data)
    {
        int n = WriteAt(0, data);
        Count += n;
        return n;
    }

    /// <summary>Moves up to <paramref name="destination"/>.Length readable bytes out; returns the number moved.</summary>
    public int Dequeue(Span<byte> destination)
    {
        int n = Peek(0, destination);
        Discard(n);
        return n;
    }

    /// <summary>
    /// Copies readable bytes starting <paramref name="offset"/> bytes after the head into
    /// <paramref name="destination"/> without consuming them; returns the number copied (0 if the offset is at or
    /// past the end of the readable bytes).
    /// </summary>
    public int Peek(int offset, Span<byte> destination)
    {
        GetReadableSpans(offset, destination.Length, out var first, out var second);
        first.CopyTo(destination);
        second.CopyTo(destination[first.Length..]);
        return first.Length + second.Length;
    }

    /// <summary>Drops up to <paramref name="count"/> bytes from the head (acknowledged or delivered data).</summary>
    public int Discard(int count)
    {
        int n = Math.Clamp(count, 0, Count);
        Count -= n;
        // An empty ring restarts at index 0 so the next write is one contiguous span, unless bytes written past the
        // readable ones (out-of-order data) must keep their position.
        _head = Count == 0 && !_holdsDataBeyondCount ? 0 : Wrap(_head + n);
        return n;
    }

    /// <summary>
    /// Up to <paramref name="maxLength"/> readable bytes from <paramref name="offset"/> past the head, as at most two
    /// spans (the second is empty unless the range wraps).
    /// </summary>
    public void GetReadableSpans(int offset, int maxLength, out ReadOnlySpan<byte> first, out ReadOnlySpan<byte> second)
    {
        int length = offset < 0 || offset >= Count ? 0 : Math.Min(Math.Max(maxLength, 0), Count - offset);
        Slice(_head, offset, length, out var a, out var b);
        first = a;
        second = b;
    }

    /// <summary>All readable bytes as at most two spans.</summary>
    public void GetReadableSpans(out ReadOnlySpan<byte> first, out ReadOnlySpan<byte> second) =>
        GetReadableSpans(0, Count, out first, out second);

    /// <summary>
    /// Free space starting <paramref name="offset"/> bytes past the readable bytes, as at most two spans, for a caller
    /// that writes in place (a socket copying a user's data, or the device receive path) and then commits.
    /// </summary>
    public void GetWritableSpans(int offset, out Span<byte> first, out Span<byte> second)
    {
        int length = offset < 0 || offset >= Free ? 0 : Free - offset;
        Slice(_head, Count + offset, length, out first, out second);
    }

    /// <summary>All free space after the readable bytes as at most two spans.</summary>
    public void GetWritableSpans(out Span<byte> first, out Span<byte> second) => GetWritableSpans(0, out first, out second);

    /// <summary>
    /// Writes <paramref name="data"/> into free space <paramref name="offset"/> bytes past the readable bytes without
    /// making it readable; returns how many bytes fit (the rest would exceed the capacity).
    /// </summary>
    public int WriteAt(int offset, ReadOnlySpan<byte> data)
    {
        GetWritableSpans(offset, out var first, out var second);
        int n = Math.Min(data.Length, first.Length + second.Length);
        int a = Math.Min(n, first.Length);
        data[..a].CopyTo(first);
        data[a..n].CopyTo(second);
        return n;
    }

    /// <summary>Makes the next <paramref name="count"/> bytes of free space readable (clamped to the free space).</summary>
    public int CommitWrite(int count)
    {
        int n = Math.Clamp(count, 0, Free);
        Count += n;
        return n;
    }

    /// <summary>Forgets everything; capacity is kept.</summary>
    public void Clear()
    {
        _head = 0;
        Count = 0;
    }

    /// <summary>
    /// Changes the capacity (receive-buffer auto-tuning). The bytes from the head onwards, including data already
    /// written beyond the readable bytes (out-of-order segments), keep their offsets up to the new capacity.
    /// Shrinking below <see cref="Count"/> is refused (returns false): it would lose readable data.
    /// </summary>
    public bool Resize(int newCapacity)
    {
        if (newCapacity < Count)
        {
            return false;
        }
        if (newCapacity == _buffer.Length)
        {
            return true;
        }
        var next = new byte[newCapacity];
        Slice(_head, 0, Math.Min(_buffer.Length, newCapacity), out var a, out var b);
        a.CopyTo(next);
        b.CopyTo(next.AsSpan(a.Length));
        _buffer = next;
        _head = 0;
        return true;
    }

    private void Slice(int start, int offset, int length, out Span<byte> first, out Span<byte> second)
    {
        if (length <= 0)
        {
            first = second = [];
            return;
        }
        int begin = Wrap(start + offset);
        int firstLength = Math.Min(length, _buffer.Length - begin);
        first = _buffer.AsSpan(begin, firstLength);
        second = _buffer.AsSpan(0, length - firstLength);
    }

    // start + offset is below 2 * capacity for every caller (both are within the buffer), so one subtraction wraps.
    private int Wrap(int index) => index >= _buffer.Length ? index - _buffer.Length : index;
}
