namespace Mip.Stack.Wire;

/// <summary>
/// The fields of an IPv4 header that matter to a host (RFC 791 §3.1). Emitted headers never carry options.
/// <see cref="PayloadLength"/> is the length of the data after the header; <see cref="FragmentOffset"/> is in bytes
/// and must be a multiple of 8.
/// </summary>
public readonly record struct Ipv4Repr(
    Ipv4Address Source,
    Ipv4Address Destination,
    IpProtocol Protocol,
    int PayloadLength,
    byte Ttl,
    ushort Identification = 0,
    bool DontFragment = false,
    bool MoreFragments = false,
    int FragmentOffset = 0,
    byte TypeOfService = 0)
{
    public const int HeaderLength = Ipv4Packet.MinHeaderLength;

    public int BufferLength => HeaderLength + PayloadLength;

    /// <summary>Reads the header fields, failing when the header checksum does not verify.</summary>
    public static bool TryParse(Ipv4Packet packet, out Ipv4Repr repr)
    {
        repr = default;
        if (!packet.IsChecksumValid)
        {
            return false;
        }
        repr = new Ipv4Repr(packet.Source, packet.Destination, packet.Protocol, packet.Payload.Length, packet.Ttl,
            packet.Identification, packet.DontFragment, packet.MoreFragments, packet.FragmentOffset, packet.TypeOfService);
        return true;
    }

    /// <summary>Writes the 20-byte header (with checksum) at the start of <paramref name="buffer"/>; the payload follows it.</summary>
    public void Emit(Span<byte> buffer) =>
        Ipv4Packet.WriteHeader(buffer, TypeOfService, HeaderLength + PayloadLength, Identification, DontFragment,
            MoreFragments, FragmentOffset, Ttl, Protocol, Source, Destination);
}
