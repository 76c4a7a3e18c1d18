using System.Buffers.Binary;

namespace Mip.Stack.Wire;

/// <summary>A read-only view of an Ethernet II frame (no FCS, no 802.1Q tag handling).</summary>
public readonly ref struct EthernetFrame
{
    public const int HeaderLength = 14;
    private const int DestinationOffset = 0;
    private const int SourceOffset = 6;
    private const int EtherTypeOffset = 12;

    private readonly ReadOnlySpan<byte> _buffer;

    private EthernetFrame(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    /// <summary>Wraps <paramref name="buffer"/> if it holds at least a full header.</summary>
    public static bool TryCreate(ReadOnlySpan<byte> buffer, out EthernetFrame frame)
    {
        frame = default;
        if (buffer.Length < HeaderLength)
        {
            return false;
        }
        frame = new EthernetFrame(buffer);
        return true;
    }

    public MacAddress Destination => MacAddress.Read(_buffer[DestinationOffset..]);
    public MacAddress Source => MacAddress.Read(_buffer[SourceOffset..]);
    public EtherType EtherType => (EtherType)BinaryPrimitives.ReadUInt16BigEndian(_buffer[EtherTypeOffset..]);

    /// <summary>Everything after the header, including any padding up to the 60-byte Ethernet minimum.</summary>
    public ReadOnlySpan<byte> Payload => _buffer[HeaderLength..];

    public ReadOnlySpan<byte> Bytes => _buffer;

    /// <summary>Writes an Ethernet II header at the start of <paramref name="buffer"/>.</summary>
    public static void WriteHeader(Span<byte> buffer, MacAddress destination, MacAddress source, EtherType type)
    {
        destination.Write(buffer[DestinationOffset..]);
        source.Write(buffer[SourceOffset..]);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[EtherTypeOffset..], (ushort)type);
    }
}
