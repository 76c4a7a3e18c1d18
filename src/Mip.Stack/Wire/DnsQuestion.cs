namespace Mip.Stack.Wire;

/// <summary>One entry of the question section (RFC 1035 §4.1.2); <see cref="Name"/> is uncompressed wire form.</summary>
internal readonly ref struct DnsQuestion
{
    public DnsQuestion(ReadOnlySpan<byte> name, DnsRecordType type, ushort @class)
    {
        Name = name;
        Type = type;
        Class = @class;
    }

    public ReadOnlySpan<byte> Name { get; }
    public DnsRecordType Type { get; }
    public ushort Class { get; }
}
