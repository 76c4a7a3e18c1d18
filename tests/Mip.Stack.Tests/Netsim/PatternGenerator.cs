using System.Buffers.Binary;

namespace Mip.Stack.Tests.Netsim;

/// <summary>
/// Deterministic pseudo-random bytes (xorshift64*): the same seed gives the same stream, so a source never holds what
/// it sends in memory and a run can be repeated bit for bit.
/// </summary>
internal sealed class PatternGenerator(ulong seed)
{
    private ulong _state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;

    /// <summary>Fills <paramref name="destination"/> with the next bytes of the stream (length a multiple of 8).</summary>
    public void Fill(Span<byte> destination)
    {
        for (int i = 0; i + 8 <= destination.Length; i += 8)
        {
            _state ^= _state >> 12;
            _state ^= _state << 25;
            _state ^= _state >> 27;
            BinaryPrimitives.WriteUInt64LittleEndian(destination[i..], _state * 0x2545F4914F6CDD1DUL);
        }
    }
}
