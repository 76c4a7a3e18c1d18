using Mip.Stack.Sockets.Tcp;

namespace Mip.Stack.Tests.Sockets.Tcp;

public sealed class SipHashTests
{
    // Key 00 01 .. 0f as two little-endian words, as in the paper and the reference implementation's vectors.h.
    private const ulong K0 = 0x0706050403020100UL;
    private const ulong K1 = 0x0F0E0D0C0B0A0908UL;

    private static byte[] Message(int length) => Enumerable.Range(0, length).Select(i => (byte)i).ToArray();

    [Fact]
    public void Paper_appendix_a_example()
    {
        // SipHash paper, Appendix A: 15-byte message 00..0e -> a129ca6149be45e5.
        Assert.Equal(0xa129ca6149be45e5UL, SipHash.Hash(K0, K1, Message(15)));
    }

    [Theory]
    [InlineData(0, 0x726fdb47dd0e0e31UL)]
    [InlineData(1, 0x74f839c593dc67fdUL)]
    [InlineData(2, 0x0d6c8009d9a94f5aUL)]
    [InlineData(7, 0xab0200f58b01d137UL)]
    [InlineData(8, 0x93f5f5799a932462UL)]
    [InlineData(63, 0x958a324ceb064572UL)]
    public void Reference_vectors(int length, ulong expected)
    {
        Assert.Equal(expected, SipHash.Hash(K0, K1, Message(length)));
    }

    [Fact]
    public void Key_changes_the_output()
    {
        Assert.NotEqual(SipHash.Hash(K0, K1, Message(12)), SipHash.Hash(K0 ^ 1, K1, Message(12)));
        Assert.NotEqual(SipHash.Hash(K0, K1, Message(12)), SipHash.Hash(K0, K1 ^ (1UL << 63), Message(12)));
    }
}
