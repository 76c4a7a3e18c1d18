using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Wire;

public sealed class TcpSeqTests
{
    [Fact]
    public void Comparison_is_modular_across_the_wrap()
    {
        var before = new TcpSeq(0xFFFF_FFF0);
        var after = new TcpSeq(0x0000_0010);
        Assert.True(before < after);
        Assert.True(after > before);
        Assert.True(before <= after);
        Assert.False(before >= after);
        Assert.Equal(0x20, after - before);
        Assert.Equal(-0x20, before - after);
    }

    [Fact]
    public void Addition_and_subtraction_wrap()
    {
        var s = new TcpSeq(0xFFFF_FFFF);
        Assert.Equal(new TcpSeq(4), s + 5);
        Assert.Equal(s, new TcpSeq(4) - 5);
        Assert.Equal(new TcpSeq(0xFFFF_FFFA), s + -5);
    }

    [Fact]
    public void Distance_is_the_unsigned_forward_gap()
    {
        Assert.Equal(0x20u, new TcpSeq(0x10).DistanceFrom(new TcpSeq(0xFFFF_FFF0)));
        Assert.Equal(0xFFFF_FFE0u, new TcpSeq(0xFFFF_FFF0).DistanceFrom(new TcpSeq(0x10)));
    }

    [Fact]
    public void Half_way_round_is_the_limit_of_meaningful_order()
    {
        // RFC 9293 §3.4: comparisons hold for numbers less than 2^31 apart.
        var a = new TcpSeq(0);
        Assert.True(a < a + int.MaxValue);
        Assert.True(a + int.MaxValue > a);
    }

    [Theory]
    [InlineData(100u, 100u, 200u, true)]
    [InlineData(199u, 100u, 200u, true)]
    [InlineData(200u, 100u, 200u, false)]
    [InlineData(99u, 100u, 200u, false)]
    [InlineData(5u, 0xFFFF_FFF0u, 10u, true)]
    [InlineData(0xFFFF_FFF5u, 0xFFFF_FFF0u, 10u, true)]
    [InlineData(10u, 0xFFFF_FFF0u, 10u, false)]
    [InlineData(100u, 100u, 100u, false)]
    public void IsInRange_is_half_open_on_the_circle(uint value, uint start, uint end, bool expected)
    {
        Assert.Equal(expected, new TcpSeq(value).IsInRange(new TcpSeq(start), new TcpSeq(end)));
    }

    [Fact]
    public void Min_and_max_follow_modular_order()
    {
        var a = new TcpSeq(0xFFFF_FF00);
        var b = new TcpSeq(0x100);
        Assert.Equal(b, TcpSeq.Max(a, b));
        Assert.Equal(a, TcpSeq.Min(a, b));
    }

    [Fact]
    public void Randomized_order_agrees_with_signed_difference()
    {
        var rng = new Random(9293);
        for (int i = 0; i < 10_000; i++)
        {
            var a = new TcpSeq((uint)rng.NextInt64(0, 1L << 32));
            int d = rng.Next(1, int.MaxValue);
            var b = a + d;
            Assert.True(a < b);
            Assert.True(b > a);
            Assert.Equal(d, b - a);
            Assert.Equal((uint)d, b.DistanceFrom(a));
        }
    }
}
