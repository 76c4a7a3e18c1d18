using System.Buffers.Binary;

namespace Mip.Stack.Wire;

/// <summary>
/// A view of an IPv4 datagram (RFC 791 §3.1). <see cref="TryCreate"/> checks the version and all length fields,
/// so every accessor is safe; the header checksum is checked separately (<see cref="IsChecksumValid"/>) so that a
/// receiver can count a bad checksum apart from a bad length. Options are kept in the header but not interpreted.
/// </summary>
public readonly ref struct Ipv4Packet
{
    public const int MinHeaderLength = 20;
    public const int MaxLength = 65535;

    private const int VersionIhlOffset = 0;
    private const int TosOffset = 1;
    private const int TotalLengthOffset = 2;
    private const int IdentificationOffset = 4;
    private const int FlagsFragmentOffset = 6;
    private const int TtlOffset = 8;
    private const int ProtocolOffset = 9;
    private const int ChecksumOffset = 10;
    private const int SourceOffset = 12;
    private const int DestinationOffset = 16;

    private const ushort DontFragmentBit = 0x4000;
    private const ushort MoreFragmentsBit = 0x2000;
    private const ushort FragmentOffsetMask = 0x1FFF;

    private readonly ReadOnlySpan<byte> _buffer;

    private Ipv4Packet(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>Checks version, IHL and total length against each other and the buffer.</summary>
    public static WireError Validate(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < MinHeaderLength)
        {
            return WireError.Truncated;
        }
        if (buffer[VersionIhlOffset] >> 4 != 4)
        {
            return WireError.BadVersion;
        }
        int headerLength = (buffer[VersionIhlOffset] & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(buffer[TotalLengthOffset..]);
        // RFC 791 §3.1: IHL is at least 5 words; the header cannot be longer than the datagram.
        if (headerLength < MinHeaderLength || headerLength > totalLength)
        {
            return WireError.BadHeaderLength;
        }
        // Bytes beyond Total Length are link padding (Ethernet's 60-byte minimum) and are ignored.
        if (totalLength > buffer.Length)
        {
            return WireError.Truncated;
        }
        return WireError.None;
    }

    /// <summary>Wraps the datagram, trimmed to its total length, if <see cref="Validate"/> accepts it.</summary>
    public static bool TryCreate(ReadOnlySpan<byte> buffer, out Ipv4Packet packet)
    {
        packet = default;
        if (Validate(buffer) != WireError.None)
        {
            return false;
        }
        packet = new Ipv4Packet(buffer[..BinaryPrimitives.ReadUInt16BigEndian(buffer[TotalLengthOffset..])]);
        return true;
    }

    /// <summary>
    /// Wraps the leading part of a datagram quoted in an ICMP error (RFC 792: its header and at least 8 bytes of
    /// payload). Only version and IHL are checked, against the quote; <see cref="Payload"/> is whatever was quoted.
    /// </summary>
    public static bool TryCreateQuoted(ReadOnlySpan<byte> buffer, out Ipv4Packet packet)
    {
        packet = default;
        if (buffer.Length < MinHeaderLength || buffer[VersionIhlOffset] >> 4 != 4)
        {
            return false;
        }
        int headerLength = (buffer[VersionIhlOffset] & 0x0F) * 4;
        if (headerLength < MinHeaderLength || headerLength > buffer.Length)
        {
            return false;
        }
        packet = new Ipv4Packet(buffer);
        return true;
    }

    public int HeaderLength => (_buffer[VersionIhlOffset] & 0x0F) * 4;
    public byte TypeOfService => _buffer[TosOffset];
    /// <summary>The Total Length field (for a quoted datagram it can exceed the bytes quoted).</summary>
    public int TotalLength => BinaryPrimitives.ReadUInt16BigEndian(_buffer[TotalLengthOffset..]);
    public ushort Identification => BinaryPrimitives.ReadUInt16BigEndian(_buffer[IdentificationOffset..]);
    private ushort FlagsAndOffset => BinaryPrimitives.ReadUInt16BigEndian(_buffer[FlagsFragmentOffset..]);
    public bool DontFragment => (FlagsAndOffset & DontFragmentBit) != 0;
    public bool MoreFragments => (FlagsAndOffset & MoreFragmentsBit) != 0;
    /// <summary>Fragment offset in bytes (the field counts 8-octet units, RFC 791 §3.1).</summary>
    public int FragmentOffset => (FlagsAndOffset & FragmentOffsetMask) * 8;
    public bool IsFragment => MoreFragments || FragmentOffset != 0;
    public byte Ttl => _buffer[TtlOffset];
    public IpProtocol Protocol => (IpProtocol)_buffer[ProtocolOffset];
    public ushort HeaderChecksum => BinaryPrimitives.ReadUInt16BigEndian(_buffer[ChecksumOffset..]);
    public Ipv4Address Source => Ipv4Address.Read(_buffer[SourceOffset..]);
    public Ipv4Address Destination => Ipv4Address.Read(_buffer[DestinationOffset..]);

    /// <summary>The header including options (which this stack skips, RFC 1122 §3.2.1.8 allows ignoring them).</summary>
    public ReadOnlySpan<byte> Header => _buffer[..HeaderLength];
    public ReadOnlySpan<byte> Payload => _buffer[HeaderLength..];
    public ReadOnlySpan<byte> Bytes => _buffer;

    /// <summary>RFC 791 §3.1 / RFC 1071: the one's complement sum over the header, checksum included, is all ones.</summary>
    public bool IsChecksumValid => Checksum.Compute(Header) == 0;

    /// <summary>Writes a 20-byte header (no options) with its checksum.</summary>
    internal static void WriteHeader(Span<byte> buffer, byte tos, int totalLength, ushort identification,
        bool dontFragment, bool moreFragments, int fragmentOffsetBytes, byte ttl, IpProtocol protocol,
        Ipv4Address source, Ipv4Address destination)
    {
        buffer[VersionIhlOffset] = 0x45;
        buffer[TosOffset] = tos;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[TotalLengthOffset..], (ushort)totalLength);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[IdentificationOffset..], identification);
        ushort flags = (ushort)((fragmentOffsetBytes / 8) & FragmentOffsetMask);
        if (dontFragment)
        {
            flags |= DontFragmentBit;
        }
        if (moreFragments)
        {
            flags |= MoreFragmentsBit;
        }
        BinaryPrimitives.WriteUInt16BigEndian(buffer[FlagsFragmentOffset..], flags);
        buffer[TtlOffset] = ttl;
        buffer[ProtocolOffset] = (byte)protocol;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[ChecksumOffset..], 0);
        source.Write(buffer[SourceOffset..]);
        destination.Write(buffer[DestinationOffset..]);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[ChecksumOffset..], Checksum.Compute(buffer[..MinHeaderLength]));
    }
}
