namespace Mip.Stack.Wire;

/// <summary>The fields of an Ethernet/IPv4 ARP packet (RFC 826).</summary>
public readonly record struct ArpRepr(
    ArpOperation Operation, MacAddress SenderMac, Ipv4Address SenderIp, MacAddress TargetMac, Ipv4Address TargetIp)
{
    public const int BufferLength = ArpPacket.Length;

    /// <summary>Fails for opcodes other than request and reply (RARP and InARP are not spoken here).</summary>
    public static bool TryParse(ArpPacket packet, out ArpRepr repr)
    {
        repr = default;
        var op = packet.Operation;
        if (op is not (ArpOperation.Request or ArpOperation.Reply))
        {
            return false;
        }
        repr = new ArpRepr(op, packet.SenderMac, packet.SenderIp, packet.TargetMac, packet.TargetIp);
        return true;
    }

    public void Emit(Span<byte> buffer) => ArpPacket.Write(buffer, Operation, SenderMac, SenderIp, TargetMac, TargetIp);
}
