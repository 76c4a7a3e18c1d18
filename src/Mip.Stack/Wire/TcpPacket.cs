using System.Buffers.Binary;

namespace Mip.Stack.Wire;

/// <summary>
/// A zero-copy view of a TCP segment (RFC 9293 §3.1). <see cref="TryCreate"/> checks only what makes the accessors
/// safe (fixed header present, data offset at least 5 words and inside the buffer); checksum and options are
/// checked separately (<see cref="VerifyChecksum"/>, <see cref="TcpRepr.TryParse"/>).
/// </summary>
public readonly ref struct TcpPacket
{
    public const int MinHeaderLength = 20;
    public const int MaxHeaderLength = 60;
    public const int MaxOptionsLength = MaxHeaderLength - MinHeaderLength;

    /// <summary>IANA protocol number carried in the IPv4 header and the pseudo-header.</summary>
    public const byte IpProtocol = 6;

    private const int SourcePortOffset = 0;
    private const int DestinationPortOffset = 2;
    private const int SequenceOffset = 4;
    private const int AcknowledgmentOffset = 8;
    private const int DataOffsetOffset = 12;
    private const int FlagsOffset = 13;
    private const int WindowOffset = 14;
    private const int ChecksumOffset = 16;
    private const int UrgentOffset = 18;

    private readonly ReadOnlySpan<byte> _bytes;

    private TcpPacket(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>
    /// Wraps <paramref name="segment"/> (exactly the TCP header plus payload, as delimited by the IP total length).
    /// Fails if the fixed header is truncated, the data offset is below 5 (RFC 9293 §3.1: "the TCP header ... is an
    /// integer multiple of 32 bits", at least the 20 fixed bytes) or the header claims more bytes than are present.
    /// </summary>
    public static bool TryCreate(ReadOnlySpan<byte> segment, out TcpPacket packet)
    {
        packet = default;
        if (segment.Length < MinHeaderLength)
        {
            return false;
        }
        int headerLength = (segment[DataOffsetOffset] >> 4) * 4;
        if (headerLength < MinHeaderLength || headerLength > segment.Length)
        {
            return false;
        }
        packet = new TcpPacket(segment);
        return true;
    }

    public ReadOnlySpan<byte> Bytes => _bytes;
    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_bytes[SourcePortOffset..]);
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_bytes[DestinationPortOffset..]);
    public TcpSeq SequenceNumber => new(BinaryPrimitives.ReadUInt32BigEndian(_bytes[SequenceOffset..]));
    public TcpSeq AcknowledgmentNumber => new(BinaryPrimitives.ReadUInt32BigEndian(_bytes[AcknowledgmentOffset..]));

    /// <summary>Header length in bytes (data offset × 4).</summary>
    public int HeaderLength => (_bytes[DataOffsetOffset] >> 4) * 4;

    /// <summary>The eight control bits of byte 13; the four reserved bits of byte 12 are ignored (RFC 9293 §3.1).</summary>
    public TcpFlags Flags => (TcpFlags)_bytes[FlagsOffset];

    public ushort Window => BinaryPrimitives.ReadUInt16BigEndian(_bytes[WindowOffset..]);
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_bytes[ChecksumOffset..]);
    public ushort UrgentPointer => BinaryPrimitives.ReadUInt16BigEndian(_bytes[UrgentOffset..]);
    public ReadOnlySpan<byte> Options => _bytes[MinHeaderLength..HeaderLength];
    public ReadOnlySpan<byte> Payload => _bytes[HeaderLength..];

    /// <summary>
    /// Sequence space the segment occupies: payload bytes plus one each for SYN and FIN (RFC 9293 §3.4, SEG.LEN).
    /// </summary>
    public int SegmentLength =>
        Payload.Length + ((Flags & TcpFlags.Syn) != 0 ? 1 : 0) + ((Flags & TcpFlags.Fin) != 0 ? 1 : 0);

    /// <summary>
    /// True if the checksum over the IPv4 pseudo-header, header and payload folds to zero (RFC 9293 §3.1). Unlike
    /// UDP, a zero checksum field has no "not computed" meaning in TCP.
    /// </summary>
    public bool VerifyChecksum(Ipv4Address source, Ipv4Address destination)
    {
        uint sum = Wire.Checksum.PseudoHeader(source, destination, IpProtocol, _bytes.Length);
        return Wire.Checksum.Finish(Wire.Checksum.Accumulate(sum, _bytes)) == 0;
    }
}
