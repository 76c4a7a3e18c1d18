using Mip.Stack.Storage;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Storage;

public sealed class AssemblerTests
{
    [Fact]
    public void In_order_data_advances_at_once_without_a_range()
    {
        var a = new Assembler();
        Assert.Equal(AssemblerResult.Accepted, a.Add(0, 100, out int adv));
        Assert.Equal(100, adv);
        Assert.True(a.IsEmpty);
    }

    [Fact]
    public void Gap_filled_releases_everything_behind_it()
    {
        var a = new Assembler();
        a.Add(100, 50, out int adv);
        Assert.Equal(0, adv);
        a.Add(200, 50, out adv);
        Assert.Equal(0, adv);
        Assert.Equal(2, a.RangeCount);
        a.Add(150, 50, out adv); // bridges the two: one range 100..250
        Assert.Equal(0, adv);
        Assert.Equal(1, a.RangeCount);
        Assert.Equal((100, 150), a.GetRange(0));
        a.Add(0, 100, out adv);
        Assert.Equal(250, adv);
        Assert.True(a.IsEmpty);
        // Offsets are now relative to the new front.
        a.Add(10, 5, out adv);
        Assert.Equal((10, 5), a.GetRange(0));
    }

    [Fact]
    public void Overlapping_and_duplicate_data_merge()
    {
        var a = new Assembler();
        a.Add(100, 100, out _);
        a.Add(150, 100, out _);
        a.Add(120, 10, out _);
        a.Add(90, 10, out _); // adjacent on the left
        Assert.Equal(1, a.RangeCount);
        Assert.Equal((90, 160), a.GetRange(0));
        Assert.Equal(160, a.BufferedBytes);
    }

    [Fact]
    public void Old_data_is_trimmed_to_the_front()
    {
        var a = new Assembler();
        a.Add(0, 100, out _);
        a.Add(-50, 40, out int adv); // entirely old
        Assert.Equal(0, adv);
        a.Add(-50, 80, out adv);     // 30 new bytes at the front
        Assert.Equal(30, adv);
        a.Add(5, 0, out adv);
        Assert.Equal(0, adv);
        Assert.True(a.IsEmpty);
    }

    [Fact]
    public void Full_table_refuses_a_new_disjoint_range_but_still_merges()
    {
        var a = new Assembler(maxRanges: 3);
        a.Add(10, 1, out _);
        a.Add(20, 1, out _);
        a.Add(30, 1, out _);
        Assert.Equal(AssemblerResult.TooManyRanges, a.Add(40, 1, out int adv));
        Assert.Equal(0, adv);
        Assert.Equal(3, a.RangeCount);
        Assert.Equal(AssemblerResult.Accepted, a.Add(31, 5, out _));   // extends an existing range
        Assert.Equal(AssemblerResult.Accepted, a.Add(0, 3, out adv));  // in-order data needs no entry
        Assert.Equal(3, adv);
        Assert.Equal(AssemblerResult.Accepted, a.Add(0, 7, out adv));  // reaches the first range: frees an entry
        Assert.Equal(8, adv);
        Assert.Equal(AssemblerResult.Accepted, a.Add(40, 1, out _));
        Assert.Equal(3, a.RangeCount);
    }

    [Fact]
    public void Sack_blocks_put_the_most_recent_range_first()
    {
        // The three out-of-order segments of the Linux SACK fixture, relative to RCV.NXT 0x1065.
        var a = new Assembler();
        var rcvNxt = new TcpSeq(0x1065);
        a.Add(1000, 100, out _);
        a.Add(3000, 200, out _);
        a.Add(5000, 300, out _);
        var blocks = a.GetSackBlocks(rcvNxt, max: 3);
        Assert.Equal(
            TcpSackBlocks.From(
            [
                new(new TcpSeq(0x23ed), new TcpSeq(0x2519)),
                new(new TcpSeq(0x1c1d), new TcpSeq(0x1ce5)),
                new(new TcpSeq(0x144d), new TcpSeq(0x14b1)),
            ]),
            blocks);
        // A segment extending the oldest range makes that range the first block (RFC 2018 §4).
        a.Add(1100, 10, out _);
        blocks = a.GetSackBlocks(rcvNxt);
        Assert.Equal(3, blocks.Count);
        Assert.Equal(new TcpSackBlock(new TcpSeq(0x144d), new TcpSeq(0x14bb)), blocks[0]);
        Assert.Equal(new TcpSeq(0x23ed), blocks[1].Left);
        Assert.Equal(1, a.GetSackBlocks(rcvNxt, max: 1).Count);
    }

    [Fact]
    public void Sack_blocks_wrap_around_the_sequence_space()
    {
        var a = new Assembler();
        a.Add(100, 50, out _);
        var blocks = a.GetSackBlocks(new TcpSeq(0xFFFF_FFC0));
        Assert.Equal(new TcpSackBlock(new TcpSeq(0x24), new TcpSeq(0x56)), blocks[0]);
    }

    [Fact]
    public void Reset_forgets_everything()
    {
        var a = new Assembler();
        a.Add(0, 10, out _);
        a.Add(20, 10, out _);
        a.Reset();
        Assert.True(a.IsEmpty);
        a.Add(0, 5, out int adv);
        Assert.Equal(5, adv);
    }

    [Fact]
    public void Add_and_sack_do_not_allocate()
    {
        var a = new Assembler();
        var rcv = new TcpSeq(1);
        for (int i = 0; i < 10; i++)
        {
            a.Add(10, 5, out _);
            a.GetSackBlocks(rcv);
            a.Reset();
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 1000; round++)
        {
            for (int i = 1; i <= 40; i++)
            {
                a.Add(i * 20, 10, out _);
            }
            a.GetSackBlocks(rcv);
            a.Add(0, 1000, out _);
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Theory]
    [InlineData(1, 64, 400)]
    [InlineData(2, 8, 200)]
    [InlineData(3, 64, 5000)]
    [InlineData(4, 2, 50)]
    public void Randomized_adds_match_a_bitmap_model(int seed, int maxRanges, int window)
    {
        var rng = new Random(seed);
        var a = new Assembler(maxRanges);
        // Model: which bytes past the front have arrived; front advances over the set prefix.
        var have = new bool[window * 2];
        long front = 0;
        for (int step = 0; step < 20_000; step++)
        {
            int offset = rng.Next(-window / 4, window);
            int length = rng.Next(0, window / 4 + 1);
            var result = a.Add(offset, length, out int adv);

            // What the model would look like if the add were recorded.
            var next = (bool[])have.Clone();
            for (int k = Math.Max(offset, 0); k < offset + length; k++)
            {
                next[k] = true;
            }
            int runs = CountRunsAfterPrefix(next, out int prefix);
            if (result == AssemblerResult.TooManyRanges)
            {
                // Refused only when it really needed an entry beyond the table and could not merge.
                Assert.Equal(maxRanges + 1, runs);
                Assert.Equal(0, adv);
            }
            else
            {
                Assert.Equal(prefix, adv);
                have = new bool[window * 2];
                Array.Copy(next, prefix, have, 0, next.Length - prefix);
                front += prefix;
            }
            AssertSameRanges(have, a);
            if (a.RangeCount > 0)
            {
                var sack = a.GetSackBlocks(new TcpSeq((uint)front));
                Assert.Equal(Math.Min(a.RangeCount, 4), sack.Count);
                for (int b = 0; b < sack.Count; b++)
                {
                    int off = sack[b].Left - new TcpSeq((uint)front);
                    Assert.True(have[off] && (off == 0 || !have[off - 1]));
                }
            }
        }
    }

    private static int CountRunsAfterPrefix(bool[] bits, out int prefix)
    {
        prefix = 0;
        while (prefix < bits.Length && bits[prefix])
        {
            prefix++;
        }
        int runs = 0;
        for (int k = prefix; k < bits.Length; k++)
        {
            if (bits[k] && (k == 0 || !bits[k - 1]))
            {
                runs++;
            }
        }
        return runs;
    }

    private static void AssertSameRanges(bool[] have, Assembler a)
    {
        int r = 0;
        for (int k = 0; k < have.Length; k++)
        {
            if (have[k] && (k == 0 || !have[k - 1]))
            {
                int end = k;
                while (end < have.Length && have[end])
                {
                    end++;
                }
                Assert.True(r < a.RangeCount, "model has more ranges than the assembler");
                Assert.Equal((k, end - k), a.GetRange(r));
                r++;
            }
        }
        Assert.Equal(r, a.RangeCount);
    }
}
