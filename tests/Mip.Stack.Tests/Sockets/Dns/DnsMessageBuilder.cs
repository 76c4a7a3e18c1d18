using System.Buffers.Binary;
using System.Text;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Dns;

/// <summary>
/// Plays the server side: writes DNS messages the way real servers do, compressing every name against the names
/// already written (RFC 1035 §4.1.4). Sections must be written in order: questions, answers, authority, additional.
/// </summary>
internal sealed class DnsMessageBuilder
{
    private readonly List<byte> _bytes = [];
    private readonly Dictionary<string, int> _suffixOffsets = new(StringComparer.OrdinalIgnoreCase);
    private readonly ushort[] _counts = new ushort[4];

    public DnsMessageBuilder(ushort id, ushort flags)
    {
        _bytes.AddRange(new byte[12]);
        BinaryPrimitives.WriteUInt16BigEndian(Span(0, 2), id);
        BinaryPrimitives.WriteUInt16BigEndian(Span(2, 2), flags);
    }

    /// <summary>A recursive server's reply: QR, RD, RA and the given RCODE (as dnsmasq sends).</summary>
    public static DnsMessageBuilder Response(ushort id, DnsResponseCode rcode = DnsResponseCode.NoError, bool truncated = false) =>
        new(id, (ushort)(0x8180 | (truncated ? 0x0200 : 0) | (int)rcode));

    public DnsMessageBuilder Question(string name, DnsRecordType type = DnsRecordType.A, ushort @class = 1)
    {
        WriteName(name);
        WriteUInt16((ushort)type);
        WriteUInt16(@class);
        _counts[0]++;
        return this;
    }

    public DnsMessageBuilder A(string name, uint ttl, string address, int section = 1) =>
        Record(section, name, DnsRecordType.A, ttl, b => b.WriteBytes(Convert.FromHexString(Ipv4Hex(address))));

    public DnsMessageBuilder Aaaa(string name, uint ttl, string hex16, int section = 1) =>
        Record(section, name, DnsRecordType.Aaaa, ttl, b => b.WriteBytes(Convert.FromHexString(hex16)));

    public DnsMessageBuilder Cname(string name, uint ttl, string target, int section = 1) =>
        Record(section, name, DnsRecordType.Cname, ttl, b => b.WriteName(target));

    public DnsMessageBuilder Soa(string zone, uint ttl, uint minimum, int section = 2) =>
        Record(section, zone, DnsRecordType.Soa, ttl, b =>
        {
            b.WriteName("ns." + zone);
            b.WriteName("hostmaster." + zone);
            foreach (uint v in new uint[] { 2024010101, 3600, 600, 86400, minimum })
            {
                b.WriteUInt32(v);
            }
        });

    /// <summary>A record with raw RDATA, e.g. of a type the resolver does not know.</summary>
    public DnsMessageBuilder Raw(string name, DnsRecordType type, uint ttl, byte[] data, int section = 1) =>
        Record(section, name, type, ttl, b => b.WriteBytes(data));

    public byte[] Build()
    {
        var bytes = _bytes.ToArray();
        for (int i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(4 + 2 * i), _counts[i]);
        }
        return bytes;
    }

    private DnsMessageBuilder Record(int section, string name, DnsRecordType type, uint ttl, Action<DnsMessageBuilder> rdata)
    {
        WriteName(name);
        WriteUInt16((ushort)type);
        WriteUInt16(1);
        WriteUInt32(ttl);
        int lengthAt = _bytes.Count;
        WriteUInt16(0);
        rdata(this);
        BinaryPrimitives.WriteUInt16BigEndian(Span(lengthAt, 2), (ushort)(_bytes.Count - lengthAt - 2));
        _counts[section]++;
        return this;
    }

    private void WriteName(string name)
    {
        var labels = name.TrimEnd('.').Split('.');
        for (int i = 0; i < labels.Length; i++)
        {
            string suffix = string.Join('.', labels[i..]);
            if (_suffixOffsets.TryGetValue(suffix, out int offset))
            {
                WriteUInt16((ushort)(0xC000 | offset));
                return;
            }
            if (_bytes.Count < 0x3FFF)
            {
                _suffixOffsets[suffix] = _bytes.Count;
            }
            _bytes.Add((byte)labels[i].Length);
            _bytes.AddRange(Encoding.ASCII.GetBytes(labels[i]));
        }
        _bytes.Add(0);
    }

    private void WriteBytes(byte[] data) => _bytes.AddRange(data);

    private void WriteUInt16(ushort v) => _bytes.AddRange([(byte)(v >> 8), (byte)v]);

    private void WriteUInt32(uint v) => _bytes.AddRange([(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]);

    private Span<byte> Span(int start, int length) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_bytes).Slice(start, length);

    private static string Ipv4Hex(string address) => Ipv4Address.Parse(address).Value.ToString("x8");
}
