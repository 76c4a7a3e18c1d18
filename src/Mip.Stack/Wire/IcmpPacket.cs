using System.Buffers.Binary;

namespace Mip.Stack.Wire;

/// <summary>
/// A view of an ICMP message (RFC 792): type, code, checksum, four type-specific bytes, then data. For echo the
/// four bytes are identifier and sequence; for "fragmentation needed" the last two are the next-hop MTU (RFC 1191 §4);
/// for errors the data is the offending datagram's IP header and at least 8 bytes of its payload.
/// </summary>
public readonly ref struct IcmpPacket
{
    public const int HeaderLength = 8;

    private const int TypeOffset = 0;
    private const int CodeOffset = 1;
    private const int ChecksumOffset = 2;
    private const int IdentifierOffset = 4;
    private const int SequenceOffset = 6;
    private const int NextHopMtuOffset = 6;

    private readonly ReadOnlySpan<byte> _buffer;

    private IcmpPacket(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>Wraps the whole ICMP message (the IP payload) if it holds at least the 8-byte header.</summary>
    public static bool TryCreate(ReadOnlySpan<byte> buffer, out IcmpPacket packet)
    {
        packet = default;
        if (buffer.Length < HeaderLength)
        {
            return false;
        }
        packet = new IcmpPacket(buffer);
        return true;
    }

    public IcmpType Type => (IcmpType)_buffer[TypeOffset];
    public byte Code => _buffer[CodeOffset];
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_buffer[ChecksumOffset..]);
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(_buffer[IdentifierOffset..]);
    public ushort Sequence => BinaryPrimitives.ReadUInt16BigEndian(_buffer[SequenceOffset..]);
    public ushort NextHopMtu => BinaryPrimitives.ReadUInt16BigEndian(_buffer[NextHopMtuOffset..]);
    public ReadOnlySpan<byte> Data => _buffer[HeaderLength..];
    public ReadOnlySpan<byte> Bytes => _buffer;

    /// <summary>RFC 792: the checksum covers the whole ICMP message.</summary>
    public bool IsChecksumValid => Wire.Checksum.Compute(_buffer) == 0;

    /// <summary>Writes type, code and the four type-specific bytes, then the checksum over the whole of <paramref name="message"/>.</summary>
    internal static void WriteHeaderAndChecksum(Span<byte> message, IcmpType type, byte code, uint restOfHeader)
    {
        message[TypeOffset] = (byte)type;
        message[CodeOffset] = code;
        BinaryPrimitives.WriteUInt16BigEndian(message[ChecksumOffset..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(message[IdentifierOffset..], restOfHeader);
        BinaryPrimitives.WriteUInt16BigEndian(message[ChecksumOffset..], Wire.Checksum.Compute(message));
    }
}
