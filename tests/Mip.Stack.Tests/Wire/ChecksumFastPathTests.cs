using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Wire;

/// <summary>The vector and 64-bit paths of <see cref="Checksum.Accumulate"/> against a plain RFC 1071 reference.</summary>
public sealed class ChecksumFastPathTests
{
    private static ushort Reference(uint initial, ReadOnlySpan<byte> data)
    {
        ulong sum = initial;
        for (int i = 0; i < data.Length; i += 2)
        {
            sum += (uint)(data[i] << 8) | (i + 1 < data.Length ? data[i + 1] : 0u);
        }
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }

    [Fact]
    public void Every_length_and_alignment_matches_the_reference()
    {
        var random = new Random(42);
        var buffer = new byte[9000];
        random.NextBytes(buffer);
        for (int length = 0; length <= 300; length++)
        {
            for (int offset = 0; offset < 4; offset++)
            {
                var data = buffer.AsSpan(offset, length);
                Assert.Equal(Reference(0x1234, data), Checksum.Finish(Checksum.Accumulate(0x1234, data)));
            }
        }
        foreach (int length in new[] { 1448, 1460, 1480, 8972, 8999 })
        {
            var data = buffer.AsSpan(1, length);
            Assert.Equal(Reference(0, data), Checksum.Finish(Checksum.Accumulate(0, data)));
        }
    }

    [Fact]
    public void All_ones_input_does_not_lose_carries()
    {
        var data = Enumerable.Repeat((byte)0xFF, 65535).ToArray();
        Assert.Equal(Reference(0xFFFF, data), Checksum.Finish(Checksum.Accumulate(0xFFFF, data)));
    }
}
