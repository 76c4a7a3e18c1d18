using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Tcp;

public sealed class IsnGeneratorTests
{
    private static readonly Ipv4Endpoint Local = new(new Ipv4Address(192, 168, 2, 10), 40000);
    private static readonly Ipv4Endpoint Remote = new(new Ipv4Address(192, 168, 2, 1), 80);

    [Fact]
    public void Same_tuple_advances_with_the_four_microsecond_clock()
    {
        var gen = new IsnGenerator(new Random(6528));
        var t0 = Instant.FromSeconds(100);
        var a = gen.Next(Local, Remote, t0);
        var b = gen.Next(Local, Remote, t0 + TimeSpan.FromSeconds(1));
        Assert.Equal(250_000, b - a); // RFC 9293 §3.4.1: one tick per 4 µs
        Assert.Equal(1, gen.Next(Local, Remote, t0 + TimeSpan.FromTicks(40)) - a);
        Assert.Equal(a, gen.Next(Local, Remote, t0 + TimeSpan.FromTicks(30))); // 3 µs: same tick
    }

    [Fact]
    public void Equals_clock_plus_keyed_hash_of_the_tuple()
    {
        var rng = new Random(42);
        var gen = new IsnGenerator(new Random(42));
        Span<byte> key = stackalloc byte[16];
        rng.NextBytes(key);
        ulong k0 = BitConverter.ToUInt64(key), k1 = BitConverter.ToUInt64(key[8..]);
        byte[] tuple = [192, 168, 2, 10, 192, 168, 2, 1, 0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 0, 0, 0, 0, 0];
        var now = new Instant(123_456_789);
        uint expected = unchecked((uint)(123_456_789 / 4) + (uint)SipHash.Hash(k0, k1, tuple));
        Assert.Equal(new TcpSeq(expected), gen.Next(Local, Remote, now));
    }

    [Fact]
    public void Clock_wraps_after_two_to_the_32_ticks()
    {
        Assert.Equal(0u, IsnGenerator.Clock(new Instant(4L << 32)));
        Assert.Equal(5u, IsnGenerator.Clock(new Instant((4L << 32) + 20)));
    }

    [Fact]
    public void Different_tuples_and_keys_give_unrelated_isns()
    {
        var now = Instant.FromSeconds(1);
        var gen = new IsnGenerator(new Random(1));
        var other = new IsnGenerator(new Random(2));
        Assert.NotEqual(gen.Next(Local, Remote, now), other.Next(Local, Remote, now));
        Assert.Equal(gen.Next(Local, Remote, now), new IsnGenerator(new Random(1)).Next(Local, Remote, now));

        // Neighbouring source ports: no visible pattern; every bit flips about half the time.
        var seen = new HashSet<uint>();
        var bitCounts = new int[32];
        const int N = 4096;
        for (int p = 0; p < N; p++)
        {
            uint isn = gen.Next(Local with { Port = (ushort)(32768 + p) }, Remote, now).Value;
            seen.Add(isn);
            for (int bit = 0; bit < 32; bit++)
            {
                bitCounts[bit] += (int)((isn >> bit) & 1);
            }
        }
        Assert.True(seen.Count >= N - 2, $"{N - seen.Count} collisions");
        Assert.All(bitCounts, c => Assert.InRange(c, N * 0.4, N * 0.6));
    }
}
