using Mip.Stack.Storage;

namespace Mip.Stack.Tests.Storage;

public sealed class RingBufferTests
{
    [Fact]
    public void Enqueue_stops_at_capacity_and_dequeue_returns_fifo_order()
    {
        var ring = new RingBuffer(8);
        Assert.Equal(5, ring.Enqueue("hello"u8));
        Assert.Equal(3, ring.Enqueue("world"u8));
        Assert.True(ring.IsFull);
        Assert.Equal(0, ring.Free);
        var out1 = new byte[6];
        Assert.Equal(6, ring.Dequeue(out1));
        Assert.Equal("hellow"u8.ToArray(), out1);
        Assert.Equal(6, ring.Enqueue("XYZW!?+"u8)); // 6 free: wraps around the end, the last byte does not fit
        var rest = new byte[16];
        Assert.Equal(8, ring.Dequeue(rest));
        Assert.Equal("orXYZW!?"u8.ToArray(), rest[..8]);
        Assert.True(ring.IsEmpty);
    }

    [Fact]
    public void Readable_spans_split_at_the_wrap()
    {
        var ring = new RingBuffer(8);
        ring.Enqueue("abcdef"u8);
        ring.Discard(4);
        ring.Enqueue("ghijk"u8); // head at 4: "efgh" then "ijk" from index 0
        ring.GetReadableSpans(out var first, out var second);
        Assert.Equal("efgh"u8.ToArray(), first.ToArray());
        Assert.Equal("ijk"u8.ToArray(), second.ToArray());
        ring.GetReadableSpans(3, 3, out first, out second);
        Assert.Equal("h"u8.ToArray(), first.ToArray());
        Assert.Equal("ij"u8.ToArray(), second.ToArray());
        ring.GetReadableSpans(7, 10, out first, out second);
        Assert.True(first.IsEmpty && second.IsEmpty);
    }

    [Fact]
    public void Peek_at_offset_does_not_consume()
    {
        var ring = new RingBuffer(16);
        ring.Enqueue("0123456789"u8);
        var buf = new byte[4];
        Assert.Equal(4, ring.Peek(3, buf));
        Assert.Equal("3456"u8.ToArray(), buf);
        Assert.Equal(2, ring.Peek(8, buf));
        Assert.Equal(0, ring.Peek(10, buf));
        Assert.Equal(0, ring.Peek(-1, buf));
        Assert.Equal(10, ring.Count);
    }

    [Fact]
    public void Write_at_offset_is_invisible_until_committed()
    {
        var ring = new RingBuffer(10);
        ring.Enqueue("ab"u8);
        Assert.Equal(3, ring.WriteAt(2, "EFG"u8)); // bytes at offsets 4..6 of the ring content
        Assert.Equal(2, ring.Count);
        Assert.Equal(2, ring.WriteAt(0, "cd"u8));
        Assert.Equal(5, ring.CommitWrite(5));
        var all = new byte[10];
        Assert.Equal(7, ring.Peek(0, all));
        Assert.Equal("abcdEFG"u8.ToArray(), all[..7]);
        Assert.Equal(3, ring.WriteAt(0, "0123456"u8)); // only 3 bytes free
        Assert.Equal(0, ring.WriteAt(3, "x"u8));
        Assert.Equal(3, ring.CommitWrite(100));
    }

    [Fact]
    public void Writable_spans_cover_exactly_the_free_space()
    {
        var ring = new RingBuffer(8);
        ring.Enqueue("abcdef"u8);
        ring.Discard(5); // head 5, count 1: free is 6..7 then 0..4
        ring.GetWritableSpans(out var first, out var second);
        Assert.Equal(2, first.Length);
        Assert.Equal(5, second.Length);
        ring.GetWritableSpans(3, out first, out second);
        // Offset 3 into the free space starts past the physical end (index 9 -> 1): one span of the 4 bytes left.
        Assert.Equal(4, first.Length);
        Assert.True(second.IsEmpty);
    }

    [Fact]
    public void Resize_keeps_readable_and_out_of_order_bytes_at_their_offsets()
    {
        var ring = new RingBuffer(8);
        ring.Enqueue("abcdef"u8);
        ring.Discard(4);
        ring.Enqueue("gh"u8);      // readable "efgh" from head 4
        ring.WriteAt(1, "XY"u8);   // out of order at content offsets 5..6 (wraps)
        Assert.True(ring.Resize(16));
        Assert.Equal(16, ring.Capacity);
        Assert.Equal(4, ring.Count);
        ring.CommitWrite(3);
        var all = new byte[7];
        ring.Peek(0, all);
        Assert.Equal("efgh"u8.ToArray(), all[..4]);
        Assert.Equal((byte)'X', all[5]);
        Assert.Equal((byte)'Y', all[6]);
        Assert.False(ring.Resize(6));
        Assert.True(ring.Resize(7));
        Assert.Equal(7, ring.Count);
    }

    [Fact]
    public void Hot_path_operations_do_not_allocate()
    {
        var ring = new RingBuffer(4096);
        var chunk = new byte[1000];
        var sink = new byte[700];
        // Warm up any one-time JIT allocations.
        for (int i = 0; i < 10; i++)
        {
            ring.Enqueue(chunk);
            ring.Dequeue(sink);
            ring.Peek(10, sink);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            ring.Enqueue(chunk);
            ring.Peek(100, sink);
            ring.GetReadableSpans(5, 2000, out _, out _);
            ring.WriteAt(10, chunk.AsSpan(0, 10));
            ring.Dequeue(sink);
            ring.Discard(300);
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 2)]
    [InlineData(64, 3)]
    [InlineData(1000, 4)]
    public void Randomized_operations_match_a_queue_model(int capacity, int seed)
    {
        var rng = new Random(seed);
        var ring = new RingBuffer(capacity);
        var model = new List<byte>();
        var scratch = new byte[capacity * 2 + 4];
        byte next = 0;
        for (int step = 0; step < 20_000; step++)
        {
            int op = rng.Next(6);
            int n = rng.Next(0, capacity + 3);
            switch (op)
            {
                case 0:
                    {
                        var data = scratch.AsSpan(0, n);
                        for (int i = 0; i < n; i++)
                        {
                            data[i] = next++;
                        }
                        int took = ring.Enqueue(data);
                        Assert.Equal(Math.Min(n, capacity - model.Count), took);
                        model.AddRange(data[..took].ToArray());
                        break;
                    }
                case 1:
                    {
                        int got = ring.Dequeue(scratch.AsSpan(0, n));
                        Assert.Equal(Math.Min(n, model.Count), got);
                        Assert.Equal(model.GetRange(0, got), scratch[..got]);
                        model.RemoveRange(0, got);
                        break;
                    }
                case 2:
                    {
                        int offset = rng.Next(-1, capacity + 2);
                        int got = ring.Peek(offset, scratch.AsSpan(0, n));
                        int expected = offset < 0 || offset >= model.Count ? 0 : Math.Min(n, model.Count - offset);
                        Assert.Equal(expected, got);
                        if (got > 0)
                        {
                            Assert.Equal(model.GetRange(offset, got), scratch[..got]);
                        }
                        break;
                    }
                case 3:
                    {
                        int dropped = ring.Discard(n);
                        Assert.Equal(Math.Min(n, model.Count), dropped);
                        model.RemoveRange(0, dropped);
                        break;
                    }
                case 4:
                    {
                        // Write in place through the writable spans, then commit part of it.
                        ring.GetWritableSpans(out var a, out var b);
                        Assert.Equal(capacity - model.Count, a.Length + b.Length);
                        int commit = Math.Min(n, a.Length + b.Length);
                        for (int i = 0; i < commit; i++)
                        {
                            byte v = next++;
                            if (i < a.Length)
                            {
                                a[i] = v;
                            }
                            else
                            {
                                b[i - a.Length] = v;
                            }
                            model.Add(v);
                        }
                        Assert.Equal(commit, ring.CommitWrite(commit));
                        break;
                    }
                default:
                    {
                        ring.GetReadableSpans(out var a, out var b);
                        Assert.Equal(model, [.. a.ToArray(), .. b.ToArray()]);
                        break;
                    }
            }
            Assert.Equal(model.Count, ring.Count);
            Assert.Equal(capacity - model.Count, ring.Free);
        }
    }
}
