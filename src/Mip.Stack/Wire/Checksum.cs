using System.Buffers.Binary;
using System.Runtime.Intrinsics;

namespace Mip.Stack.Wire;

/// <summary>The Internet checksum (RFC 1071): one's complement of the one's complement sum of 16-bit words.</summary>
public static class Checksum
{
    /// <summary>Adds <paramref name="data"/> to a running 32-bit accumulator (not yet folded).</summary>
    public static uint Accumulate(uint sum, ReadOnlySpan<byte> data)
    {
        ulong acc = sum;
        int i = 0;
        if (BitConverter.IsLittleEndian && data.Length >= 32)
        {
            // Fast path for payloads: sum 64-bit native (little-endian) words as 32-bit halves, so no carry is lost,
            // then swap the folded 16-bit result back: the one's complement sum commutes with byte swapping
            // (RFC 1071 §2(B)), so this equals the big-endian word sum.
            ulong le = 0;
            ref byte start = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(data);
            if (Vector256.IsHardwareAccelerated && data.Length >= 64)
            {
                // The same sum of little-endian 32-bit words, eight at a time, widened to 64-bit lanes.
                var lanes0 = Vector256<ulong>.Zero;
                var lanes1 = Vector256<ulong>.Zero;
                int vectorEnd = data.Length & ~31;
                for (; i < vectorEnd; i += 32)
                {
                    var words = Vector256.LoadUnsafe(ref start, (nuint)i).AsUInt32();
                    var (low, high) = Vector256.Widen(words);
                    lanes0 += low;
                    lanes1 += high;
                }
                le += Vector256.Sum(lanes0 + lanes1);
            }
            int end = data.Length & ~7;
            for (; i < end; i += 8)
            {
                ulong w = System.Runtime.CompilerServices.Unsafe.ReadUnaligned<ulong>(ref System.Runtime.CompilerServices.Unsafe.Add(ref start, i));
                le += (w & 0xFFFF_FFFF) + (w >> 32);
            }
            uint folded = FoldTo32(le);
            folded = (folded & 0xFFFF) + (folded >> 16);
            folded = (folded & 0xFFFF) + (folded >> 16);
            acc += ((folded & 0xFF) << 8) | (folded >> 8);
        }
        // Sum 32-bit big-endian words into a 64-bit accumulator; carries are folded at the end (RFC 1071 §2(B)).
        for (; i + 4 <= data.Length; i += 4)
        {
            acc += BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
        }
        for (; i + 2 <= data.Length; i += 2)
        {
            acc += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }
        if (i < data.Length)
        {
            acc += (uint)data[i] << 8; // odd trailing byte is padded with zero (RFC 1071 §4.1)
        }
        acc = (acc & 0xFFFF_FFFF) + (acc >> 32);
        acc = (acc & 0xFFFF_FFFF) + (acc >> 32);
        return FoldTo32(acc);
    }

    /// <summary>Folds the accumulator to 16 bits and complements it.</summary>
    public static ushort Finish(uint sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }

    /// <summary>The checksum of <paramref name="data"/> alone.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Accumulate(0, data));

    /// <summary>The pseudo-header sum for TCP/UDP over IPv4 (RFC 793 §3.1, RFC 768).</summary>
    public static uint PseudoHeader(Ipv4Address source, Ipv4Address destination, byte protocol, int length)
    {
        ulong acc = (ulong)(source.Value >> 16) + (source.Value & 0xFFFF)
            + (destination.Value >> 16) + (destination.Value & 0xFFFF)
            + protocol + (uint)length;
        return FoldTo32(acc);
    }

    private static uint FoldTo32(ulong acc)
    {
        while ((acc >> 32) != 0)
        {
            acc = (acc & 0xFFFF_FFFF) + (acc >> 32);
        }
        // Fold into 17 bits or less so callers can keep adding without overflow.
        uint s = (uint)acc;
        s = (s & 0xFFFF) + (s >> 16);
        return s;
    }
}
