namespace Mip.Stack.Wire;

/// <summary>
/// The header of a UDP datagram (RFC 768). The payload is not held here: it lives in the buffer after the 8-byte
/// header and is <see cref="PayloadLength"/> bytes long. Emit always computes the checksum.
/// </summary>
public readonly record struct UdpRepr(ushort SourcePort, ushort DestinationPort, int PayloadLength)
{
    public const int HeaderLength = UdpPacket.HeaderLength;
    public const int MaxPayloadLength = Ipv4Packet.MaxLength - Ipv4Repr.HeaderLength - HeaderLength;

    public int BufferLength => HeaderLength + PayloadLength;

    /// <summary>Reads the header, failing when the checksum (with the pseudo-header of the carrying datagram) does not verify.</summary>
    public static bool TryParse(UdpPacket packet, Ipv4Address source, Ipv4Address destination, out UdpRepr repr)
    {
        repr = default;
        if (!packet.IsChecksumValid(source, destination))
        {
            return false;
        }
        repr = new UdpRepr(packet.SourcePort, packet.DestinationPort, packet.Payload.Length);
        return true;
    }

    /// <summary>
    /// Writes the header into <paramref name="buffer"/>, whose bytes from offset 8 must already hold the payload,
    /// and the checksum with the pseudo-header for <paramref name="source"/> and <paramref name="destination"/>.
    /// </summary>
    public void Emit(Span<byte> buffer, Ipv4Address source, Ipv4Address destination) =>
        UdpPacket.WriteHeaderAndChecksum(buffer[..BufferLength], SourcePort, DestinationPort, source, destination);
}
