using System.Buffers.Binary;

namespace Mip.Stack.Wire;

/// <summary>
/// One resource record (RFC 1035 §4.1.3): owner <see cref="Name"/> in uncompressed wire form, type, class, TTL and
/// RDATA. Typed accessors check RDLENGTH so a record of the wrong size is refused rather than misread.
/// </summary>
internal readonly ref struct DnsRecord
{
    public DnsRecord(ReadOnlySpan<byte> name, DnsRecordType type, ushort @class, uint rawTtl, ReadOnlySpan<byte> data, int dataOffset)
    {
        Name = name;
        Type = type;
        Class = @class;
        RawTtl = rawTtl;
        Data = data;
        DataOffset = dataOffset;
    }

    public ReadOnlySpan<byte> Name { get; }
    public DnsRecordType Type { get; }
    public ushort Class { get; }
    public uint RawTtl { get; }

    /// <summary>RDATA bytes; names inside may be compressed, so read them with the whole message.</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>Offset of RDATA in the message.</summary>
    public int DataOffset { get; }

    /// <summary>The TTL in seconds. A value with the top bit set is treated as zero (RFC 2181 §8).</summary>
    public uint TtlSeconds => RawTtl > int.MaxValue ? 0 : RawTtl;

    /// <summary>An A record's address: exactly 4 octets (RFC 1035 §3.4.1).</summary>
    public bool TryGetA(out Ipv4Address address)
    {
        address = default;
        if (Type != DnsRecordType.A || Data.Length != Ipv4Address.Length)
        {
            return false;
        }
        address = Ipv4Address.Read(Data);
        return true;
    }

    /// <summary>An AAAA record's address: exactly 16 octets, big-endian (RFC 3596 §2.2).</summary>
    public bool TryGetAaaa(out UInt128 address)
    {
        address = default;
        if (Type != DnsRecordType.Aaaa || Data.Length != 16)
        {
            return false;
        }
        address = BinaryPrimitives.ReadUInt128BigEndian(Data);
        return true;
    }

    /// <summary>
    /// The domain name that forms the whole RDATA of a CNAME, NS or PTR record (RFC 1035 §3.3.1, §3.3.11, §3.3.12),
    /// expanded into <paramref name="destination"/>. The name must end exactly at the end of RDATA.
    /// </summary>
    public bool TryGetTargetName(ReadOnlySpan<byte> message, Span<byte> destination, out int length)
    {
        length = 0;
        if (!DnsName.TryRead(message, DataOffset, destination, out int nameLength, out int next)
            || next != DataOffset + Data.Length)
        {
            return false;
        }
        length = nameLength;
        return true;
    }

    /// <summary>
    /// The MINIMUM field of an SOA record (RFC 1035 §3.3.13): MNAME and RNAME, then five 32-bit fields ending the
    /// RDATA. Negative answers are cached for min(SOA TTL, MINIMUM) (RFC 2308 §5).
    /// </summary>
    public bool TryGetSoaMinimum(ReadOnlySpan<byte> message, out uint minimum)
    {
        minimum = 0;
        if (Type != DnsRecordType.Soa
            || !DnsName.TrySkip(message, DataOffset, out int afterMname)
            || !DnsName.TrySkip(message, afterMname, out int afterRname)
            || afterRname + 20 != DataOffset + Data.Length)
        {
            return false;
        }
        minimum = BinaryPrimitives.ReadUInt32BigEndian(message[(afterRname + 16)..]);
        return true;
    }
}
