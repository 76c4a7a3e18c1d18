using System.Buffers.Binary;

namespace Mip.Stack.Wire;

public readonly partial record struct TcpRepr
{
    private const byte Nop = (byte)TcpOptionKind.NoOperation;

    /// <summary>
    /// Header bytes <see cref="Emit(Span{byte}, Ipv4Address, Ipv4Address, ReadOnlySpan{byte})"/> writes: 20 plus the
    /// options, each group padded with NOPs to a 4-byte boundary (RFC 9293 §3.1: the header is a whole number of
    /// 32-bit words).
    /// </summary>
    public int HeaderLength => TcpPacket.MinHeaderLength + OptionsLength(out _);

    /// <summary>
    /// How many of <see cref="SackBlocks"/> fit beside the other options in the 40-byte option area; the rest are not
    /// sent (RFC 2018 §3: with timestamps only three blocks fit). The first blocks are kept, since RFC 2018 §4 puts
    /// the most recent first.
    /// </summary>
    public int EmittedSackBlockCount
    {
        get
        {
            OptionsLength(out int sackCount);
            return sackCount;
        }
    }

    /// <summary>
    /// Writes the header into <paramref name="header"/> (at least <see cref="HeaderLength"/> bytes) with the checksum
    /// over the IPv4 pseudo-header, the header and <paramref name="payload"/> (RFC 9293 §3.1). The payload is only
    /// read, not copied: the caller puts it after the header. Returns the header length.
    /// </summary>
    public int Emit(Span<byte> header, Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> payload) =>
        Emit(header, source, destination, payload, []);

    /// <summary>
    /// As <see cref="Emit(Span{byte}, Ipv4Address, Ipv4Address, ReadOnlySpan{byte})"/> with the payload in two pieces,
    /// as a ring buffer hands it out (<paramref name="first"/> then <paramref name="second"/>; either may be odd).
    /// </summary>
    public int Emit(
        Span<byte> header, Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        int optionsLength = OptionsLength(out int sackCount);
        int headerLength = TcpPacket.MinHeaderLength + optionsLength;
        var h = header[..headerLength];
        BinaryPrimitives.WriteUInt16BigEndian(h, SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(h[2..], DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(h[4..], SequenceNumber.Value);
        BinaryPrimitives.WriteUInt32BigEndian(h[8..], AcknowledgmentNumber.Value);
        h[12] = (byte)((headerLength / 4) << 4); // reserved bits zero (RFC 9293 §3.1)
        h[13] = (byte)Flags;
        BinaryPrimitives.WriteUInt16BigEndian(h[14..], Window);
        BinaryPrimitives.WriteUInt16BigEndian(h[16..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(h[18..], UrgentPointer);
        WriteOptions(h[TcpPacket.MinHeaderLength..], sackCount);

        int totalLength = headerLength + first.Length + second.Length;
        uint sum = Checksum.PseudoHeader(source, destination, TcpPacket.IpProtocol, totalLength);
        sum = Checksum.Accumulate(sum, h); // header length is a multiple of 4, so the payload starts word-aligned
        sum = Checksum.Accumulate(sum, first);
        sum = AccumulateAtOffset(sum, second, (first.Length & 1) != 0);
        BinaryPrimitives.WriteUInt16BigEndian(h[16..], Checksum.Finish(sum));
        return headerLength;
    }

    /// <summary>
    /// Adds <paramref name="data"/> as if it started at an odd byte offset of the checksummed stream when
    /// <paramref name="odd"/>: the one's complement sum is byte-order independent (RFC 1071 §2(B)), so a piece shifted
    /// by one byte contributes its own sum with the two bytes swapped.
    /// </summary>
    private static uint AccumulateAtOffset(uint sum, ReadOnlySpan<byte> data, bool odd)
    {
        if (!odd)
        {
            return Checksum.Accumulate(sum, data);
        }
        uint part = Checksum.Accumulate(0, data);
        part = (part & 0xFFFF) + (part >> 16);
        part = (part & 0xFFFF) + (part >> 16);
        uint swapped = ((part & 0xFF) << 8) | (part >> 8);
        return sum + swapped;
    }

    // Layout follows Linux's tcp_options_write order so our SYNs look like the most common stack's on the wire:
    // MSS; SACK-permitted + timestamps (or NOP NOP timestamps, or NOP NOP SACK-permitted); NOP window scale;
    // NOP NOP SACK blocks. Every group is a whole number of 32-bit words.
    private int OptionsLength(out int sackCount)
    {
        int length = 0;
        if (MaxSegmentSize.HasValue)
        {
            length += 4;
        }
        if (Timestamp.HasValue || SackPermitted)
        {
            length += Timestamp.HasValue ? 12 : 4;
        }
        if (WindowScale.HasValue)
        {
            length += 4;
        }
        sackCount = 0;
        if (!SackBlocks.IsEmpty)
        {
            int room = (TcpPacket.MaxOptionsLength - length - 4) / SackBlockLength;
            sackCount = Math.Clamp(room, 0, SackBlocks.Count);
            if (sackCount > 0)
            {
                length += 4 + (sackCount * SackBlockLength);
            }
        }
        return length;
    }

    private void WriteOptions(Span<byte> o, int sackCount)
    {
        int i = 0;
        if (MaxSegmentSize is ushort mss)
        {
            o[i++] = (byte)TcpOptionKind.MaxSegmentSize;
            o[i++] = MssOptionLength;
            BinaryPrimitives.WriteUInt16BigEndian(o[i..], mss);
            i += 2;
        }
        if (Timestamp is TcpTimestamp ts)
        {
            if (SackPermitted)
            {
                o[i++] = (byte)TcpOptionKind.SackPermitted;
                o[i++] = SackPermittedOptionLength;
            }
            else
            {
                o[i++] = Nop;
                o[i++] = Nop;
            }
            o[i++] = (byte)TcpOptionKind.Timestamps;
            o[i++] = TimestampsOptionLength;
            BinaryPrimitives.WriteUInt32BigEndian(o[i..], ts.TsVal);
            BinaryPrimitives.WriteUInt32BigEndian(o[(i + 4)..], ts.TsEcr);
            i += 8;
        }
        else if (SackPermitted)
        {
            o[i++] = Nop;
            o[i++] = Nop;
            o[i++] = (byte)TcpOptionKind.SackPermitted;
            o[i++] = SackPermittedOptionLength;
        }
        if (WindowScale is byte shift)
        {
            o[i++] = Nop;
            o[i++] = (byte)TcpOptionKind.WindowScale;
            o[i++] = WindowScaleOptionLength;
            o[i++] = shift;
        }
        if (sackCount > 0)
        {
            o[i++] = Nop;
            o[i++] = Nop;
            o[i++] = (byte)TcpOptionKind.Sack;
            o[i++] = (byte)(2 + (sackCount * SackBlockLength));
            for (int b = 0; b < sackCount; b++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(o[i..], SackBlocks[b].Left.Value);
                BinaryPrimitives.WriteUInt32BigEndian(o[(i + 4)..], SackBlocks[b].Right.Value);
                i += SackBlockLength;
            }
        }
    }
}
