using System.Buffers.Binary;

namespace Mip.Stack.Wire;

/// <summary>The DNS header as a value (RFC 1035 §4.1.1).</summary>
internal readonly record struct DnsHeaderRepr(
    ushort Id,
    bool IsResponse,
    DnsOpcode Opcode,
    bool IsAuthoritative,
    bool IsTruncated,
    bool RecursionDesired,
    bool RecursionAvailable,
    DnsResponseCode ResponseCode,
    ushort QuestionCount,
    ushort AnswerCount,
    ushort AuthorityCount,
    ushort AdditionalCount)
{
    public const int BufferLength = DnsPacket.HeaderLength;

    public static bool TryParse(DnsPacket packet, out DnsHeaderRepr repr)
    {
        repr = new DnsHeaderRepr(packet.Id, packet.IsResponse, packet.Opcode, packet.IsAuthoritative, packet.IsTruncated,
            packet.RecursionDesired, packet.RecursionAvailable, packet.ResponseCode, packet.QuestionCount,
            packet.AnswerCount, packet.AuthorityCount, packet.AdditionalCount);
        return true;
    }

    /// <summary>The flag word; the Z bits are sent as zero (RFC 1035 §4.1.1).</summary>
    public ushort Flags =>
        (ushort)((IsResponse ? DnsPacket.ResponseFlag : 0)
            | (((int)Opcode & 0xF) << DnsPacket.OpcodeShift)
            | (IsAuthoritative ? DnsPacket.AuthoritativeFlag : 0)
            | (IsTruncated ? DnsPacket.TruncatedFlag : 0)
            | (RecursionDesired ? DnsPacket.RecursionDesiredFlag : 0)
            | (RecursionAvailable ? DnsPacket.RecursionAvailableFlag : 0)
            | ((int)ResponseCode & DnsPacket.ResponseCodeMask));

    public void Emit(Span<byte> buffer)
    {
        BinaryPrimitives.WriteUInt16BigEndian(buffer, Id);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], Flags);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[4..], QuestionCount);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[6..], AnswerCount);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[8..], AuthorityCount);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[10..], AdditionalCount);
    }
}
