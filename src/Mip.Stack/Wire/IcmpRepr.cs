namespace Mip.Stack.Wire;

/// <summary>
/// The header of an ICMP message this stack speaks (RFC 792): echo request/reply, destination unreachable and
/// time exceeded. The data (echo payload, or the quoted datagram of an error) is not held here: it lives in the
/// buffer, after the 8-byte header, and is <see cref="DataLength"/> bytes long.
/// </summary>
public readonly record struct IcmpRepr(
    IcmpType Type, byte Code, ushort Identifier, ushort Sequence, ushort NextHopMtu, int DataLength)
{
    public const int HeaderLength = IcmpPacket.HeaderLength;

    public int BufferLength => HeaderLength + DataLength;

    public static IcmpRepr EchoRequest(ushort identifier, ushort sequence, int dataLength) =>
        new(IcmpType.EchoRequest, 0, identifier, sequence, 0, dataLength);

    public static IcmpRepr EchoReply(ushort identifier, ushort sequence, int dataLength) =>
        new(IcmpType.EchoReply, 0, identifier, sequence, 0, dataLength);

    public static IcmpRepr DestinationUnreachable(IcmpUnreachableCode code, int quotedLength, ushort nextHopMtu = 0) =>
        new(IcmpType.DestinationUnreachable, (byte)code, 0, 0,
            code == IcmpUnreachableCode.FragmentationNeeded ? nextHopMtu : (ushort)0, quotedLength);

    public static IcmpRepr TimeExceeded(IcmpTimeExceededCode code, int quotedLength) =>
        new(IcmpType.TimeExceeded, (byte)code, 0, 0, 0, quotedLength);

    /// <summary>Fails on a bad checksum, an unknown type, or a code that does not exist for the type.</summary>
    public static bool TryParse(IcmpPacket packet, out IcmpRepr repr)
    {
        repr = default;
        if (!packet.IsChecksumValid)
        {
            return false;
        }
        int dataLength = packet.Data.Length;
        switch (packet.Type)
        {
            case IcmpType.EchoRequest or IcmpType.EchoReply when packet.Code == 0:
                repr = new IcmpRepr(packet.Type, 0, packet.Identifier, packet.Sequence, 0, dataLength);
                return true;
            case IcmpType.DestinationUnreachable when packet.Code <= (byte)IcmpUnreachableCode.CommunicationAdministrativelyProhibited:
                // RFC 1191 §4: the next-hop MTU is only meaningful for code 4; older routers leave it 0.
                ushort mtu = packet.Code == (byte)IcmpUnreachableCode.FragmentationNeeded ? packet.NextHopMtu : (ushort)0;
                repr = new IcmpRepr(packet.Type, packet.Code, 0, 0, mtu, dataLength);
                return true;
            case IcmpType.TimeExceeded when packet.Code <= (byte)IcmpTimeExceededCode.FragmentReassemblyTimeExceeded:
                repr = new IcmpRepr(packet.Type, packet.Code, 0, 0, 0, dataLength);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Writes the header into <paramref name="buffer"/>, whose bytes from offset 8 must already hold the
    /// <see cref="DataLength"/> data bytes, and computes the checksum over the whole message (RFC 792).
    /// </summary>
    public void Emit(Span<byte> buffer)
    {
        uint rest = Type switch
        {
            IcmpType.EchoRequest or IcmpType.EchoReply => ((uint)Identifier << 16) | Sequence,
            IcmpType.DestinationUnreachable => NextHopMtu,
            _ => 0u,
        };
        IcmpPacket.WriteHeaderAndChecksum(buffer[..BufferLength], Type, Code, rest);
    }
}
