using System.Buffers.Binary;

namespace Mip.Stack.Wire;

/// <summary>
/// A view of a UDP datagram (RFC 768). <see cref="TryCreate"/> checks the length field against the buffer and trims
/// the view to it; the checksum needs the IPv4 pseudo-header and is checked with <see cref="IsChecksumValid"/>.
/// </summary>
public readonly ref struct UdpPacket
{
    public const int HeaderLength = 8;

    private const int SourcePortOffset = 0;
    private const int DestinationPortOffset = 2;
    private const int LengthOffset = 4;
    private const int ChecksumOffset = 6;

    private readonly ReadOnlySpan<byte> _buffer;

    private UdpPacket(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    public static WireError Validate(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < HeaderLength)
        {
            return WireError.Truncated;
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(buffer[LengthOffset..]);
        // RFC 768: the length counts the header, so it is at least 8; it cannot exceed what IP delivered.
        if (length < HeaderLength)
        {
            return WireError.BadLength;
        }
        return length > buffer.Length ? WireError.Truncated : WireError.None;
    }

    public static bool TryCreate(ReadOnlySpan<byte> buffer, out UdpPacket packet)
    {
        packet = default;
        if (Validate(buffer) != WireError.None)
        {
            return false;
        }
        packet = new UdpPacket(buffer[..BinaryPrimitives.ReadUInt16BigEndian(buffer[LengthOffset..])]);
        return true;
    }

    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_buffer[SourcePortOffset..]);
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_buffer[DestinationPortOffset..]);
    public int Length => _buffer.Length;
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_buffer[ChecksumOffset..]);
    public ReadOnlySpan<byte> Payload => _buffer[HeaderLength..];
    public ReadOnlySpan<byte> Bytes => _buffer;

    /// <summary>
    /// RFC 768: a transmitted checksum of zero means the sender computed none, and is accepted. Otherwise the sum
    /// over the pseudo-header and the datagram must verify.
    /// </summary>
    public bool IsChecksumValid(Ipv4Address source, Ipv4Address destination)
    {
        if (Checksum == 0)
        {
            return true;
        }
        uint sum = Wire.Checksum.PseudoHeader(source, destination, (byte)IpProtocol.Udp, _buffer.Length);
        return Wire.Checksum.Finish(Wire.Checksum.Accumulate(sum, _buffer)) == 0;
    }

    /// <summary>Writes the header and the checksum over pseudo-header, header and the payload already in place.</summary>
    internal static void WriteHeaderAndChecksum(Span<byte> datagram, ushort sourcePort, ushort destinationPort,
        Ipv4Address source, Ipv4Address destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(datagram[SourcePortOffset..], sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[DestinationPortOffset..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[LengthOffset..], (ushort)datagram.Length);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[ChecksumOffset..], 0);
        uint sum = Wire.Checksum.PseudoHeader(source, destination, (byte)IpProtocol.Udp, datagram.Length);
        ushort checksum = Wire.Checksum.Finish(Wire.Checksum.Accumulate(sum, datagram));
        // RFC 768: a computed checksum of zero is sent as all ones, since zero means "no checksum".
        BinaryPrimitives.WriteUInt16BigEndian(datagram[ChecksumOffset..], checksum == 0 ? (ushort)0xFFFF : checksum);
    }
}
