using System.Buffers.Binary;

namespace Mip.Stack.Wire;

/// <summary>
/// Builds a standard query (RFC 1035 §4.1): one question of class IN, recursion desired (a stub resolver relies on
/// its server to recurse, RFC 1034 §5.3.1), no other sections.
/// </summary>
internal static class DnsQuery
{
    /// <summary>Length of a query for an uncompressed wire-form name of <paramref name="wireNameLength"/> bytes.</summary>
    public static int BufferLength(int wireNameLength) => DnsPacket.HeaderLength + wireNameLength + 4;

    /// <summary>Writes the query; returns the number of bytes written.</summary>
    public static int Emit(Span<byte> buffer, ushort id, ReadOnlySpan<byte> wireName, DnsRecordType type)
    {
        var header = new DnsHeaderRepr(id, IsResponse: false, DnsOpcode.Query, IsAuthoritative: false, IsTruncated: false,
            RecursionDesired: true, RecursionAvailable: false, DnsResponseCode.NoError,
            QuestionCount: 1, AnswerCount: 0, AuthorityCount: 0, AdditionalCount: 0);
        header.Emit(buffer);
        int pos = DnsPacket.HeaderLength;
        wireName.CopyTo(buffer[pos..]);
        pos += wireName.Length;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[pos..], (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[(pos + 2)..], (ushort)DnsClass.Internet);
        return pos + 4;
    }

    /// <summary>
    /// Validates and encodes <paramref name="name"/> and writes the query into <paramref name="buffer"/>
    /// (<see cref="DnsPacket.MaxUdpLength"/> bytes always suffice). On an invalid name returns false and
    /// <paramref name="error"/> says why (<see cref="DnsName.Describe"/>).
    /// </summary>
    public static bool TryBuild(Span<byte> buffer, ushort id, string name, DnsRecordType type, out int length, out DnsNameError error)
    {
        length = 0;
        if (type is not (DnsRecordType.A or DnsRecordType.Aaaa))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Only A and AAAA queries are built.");
        }
        Span<byte> wire = stackalloc byte[DnsName.MaxLength];
        if (!DnsName.TryEncode(name, wire, out int wireLength, out error))
        {
            return false;
        }
        length = Emit(buffer, id, wire[..wireLength], type);
        return true;
    }
}
