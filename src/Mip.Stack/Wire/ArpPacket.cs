using System.Buffers.Binary;

namespace Mip.Stack.Wire;

/// <summary>
/// A view of an ARP packet (RFC 826). Only the Ethernet/IPv4 flavour is accepted: hardware type 1 with 6-byte
/// addresses and protocol type 0x0800 with 4-byte addresses; anything else is <see cref="WireError.Unsupported"/>.
/// </summary>
public readonly ref struct ArpPacket
{
    /// <summary>Length of an Ethernet/IPv4 ARP packet; frames may carry padding after it.</summary>
    public const int Length = 28;
    public const ushort HardwareTypeEthernet = 1;

    private const int HardwareTypeOffset = 0;
    private const int ProtocolTypeOffset = 2;
    private const int HardwareLengthOffset = 4;
    private const int ProtocolLengthOffset = 5;
    private const int OperationOffset = 6;
    private const int SenderMacOffset = 8;
    private const int SenderIpOffset = 14;
    private const int TargetMacOffset = 18;
    private const int TargetIpOffset = 24;

    private readonly ReadOnlySpan<byte> _buffer;

    private ArpPacket(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    public static WireError Validate(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < Length)
        {
            return WireError.Truncated;
        }
        if (BinaryPrimitives.ReadUInt16BigEndian(buffer[HardwareTypeOffset..]) != HardwareTypeEthernet
            || BinaryPrimitives.ReadUInt16BigEndian(buffer[ProtocolTypeOffset..]) != (ushort)EtherType.Ipv4
            || buffer[HardwareLengthOffset] != MacAddress.Length
            || buffer[ProtocolLengthOffset] != Ipv4Address.Length)
        {
            return WireError.Unsupported;
        }
        return WireError.None;
    }

    public static bool TryCreate(ReadOnlySpan<byte> buffer, out ArpPacket packet)
    {
        packet = default;
        if (Validate(buffer) != WireError.None)
        {
            return false;
        }
        packet = new ArpPacket(buffer[..Length]);
        return true;
    }

    public ArpOperation Operation => (ArpOperation)BinaryPrimitives.ReadUInt16BigEndian(_buffer[OperationOffset..]);
    public MacAddress SenderMac => MacAddress.Read(_buffer[SenderMacOffset..]);
    public Ipv4Address SenderIp => Ipv4Address.Read(_buffer[SenderIpOffset..]);
    public MacAddress TargetMac => MacAddress.Read(_buffer[TargetMacOffset..]);
    public Ipv4Address TargetIp => Ipv4Address.Read(_buffer[TargetIpOffset..]);

    internal static void Write(Span<byte> buffer, ArpOperation operation, MacAddress senderMac, Ipv4Address senderIp,
        MacAddress targetMac, Ipv4Address targetIp)
    {
        BinaryPrimitives.WriteUInt16BigEndian(buffer[HardwareTypeOffset..], HardwareTypeEthernet);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[ProtocolTypeOffset..], (ushort)EtherType.Ipv4);
        buffer[HardwareLengthOffset] = MacAddress.Length;
        buffer[ProtocolLengthOffset] = Ipv4Address.Length;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[OperationOffset..], (ushort)operation);
        senderMac.Write(buffer[SenderMacOffset..]);
        senderIp.Write(buffer[SenderIpOffset..]);
        targetMac.Write(buffer[TargetMacOffset..]);
        targetIp.Write(buffer[TargetIpOffset..]);
    }
}
