using System.Buffers.Binary;

namespace Mip.Stack.Phy;

/// <summary>
/// Reads classic libpcap files of either byte order and either timestamp precision (tests and tools; allocates a
/// buffer per record). Untrusted input never throws: opening returns false on a bad header, and reading stops at the
/// first truncated or implausible record, setting <see cref="IsTruncated"/>.
/// </summary>
public sealed class PcapFileReader
{
    /// <summary>Records claiming more than this are treated as corruption (libpcap's own ceiling).</summary>
    public const int MaxRecordLength = 256 * 1024;

    private readonly Stream _stream;

    private PcapFileReader(Stream stream) => _stream = stream;

    public bool IsBigEndian { get; private init; }
    public PcapTimestampPrecision Precision { get; private init; }
    public ushort VersionMajor { get; private init; }
    public ushort VersionMinor { get; private init; }
    public int SnapLength { get; private init; }
    public uint LinkType { get; private init; }

    /// <summary>The file ended inside a record, or a record header made no sense.</summary>
    public bool IsTruncated { get; private set; }

    /// <summary>Reads the global header; false when it is missing or not a classic pcap header.</summary>
    public static bool TryOpen(Stream stream, out PcapFileReader? reader)
    {
        reader = null;
        Span<byte> header = stackalloc byte[PcapFileWriter.GlobalHeaderLength];
        if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
        {
            return false;
        }

        uint magicLe = BinaryPrimitives.ReadUInt32LittleEndian(header);
        uint magicBe = BinaryPrimitives.ReadUInt32BigEndian(header);
        bool bigEndian;
        PcapTimestampPrecision precision;
        if (magicLe is PcapFileWriter.MagicMicroseconds or PcapFileWriter.MagicNanoseconds)
        {
            bigEndian = false;
            precision = magicLe == PcapFileWriter.MagicNanoseconds ? PcapTimestampPrecision.Nanoseconds : PcapTimestampPrecision.Microseconds;
        }
        else if (magicBe is PcapFileWriter.MagicMicroseconds or PcapFileWriter.MagicNanoseconds)
        {
            bigEndian = true;
            precision = magicBe == PcapFileWriter.MagicNanoseconds ? PcapTimestampPrecision.Nanoseconds : PcapTimestampPrecision.Microseconds;
        }
        else
        {
            return false;
        }

        reader = new PcapFileReader(stream)
        {
            IsBigEndian = bigEndian,
            Precision = precision,
            VersionMajor = ReadU16(header[4..], bigEndian),
            VersionMinor = ReadU16(header[6..], bigEndian),
            SnapLength = (int)Math.Min(ReadU32(header[16..], bigEndian), int.MaxValue),
            LinkType = ReadU32(header[20..], bigEndian),
        };
        return true;
    }

    /// <summary>Reads the next record; false at the end of the file or at a broken record.</summary>
    public bool TryReadNext(out PcapRecord? record)
    {
        record = null;
        if (IsTruncated)
        {
            return false;
        }
        Span<byte> header = stackalloc byte[PcapFileWriter.RecordHeaderLength];
        int got = _stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (got == 0)
        {
            return false;
        }
        if (got < header.Length)
        {
            IsTruncated = true;
            return false;
        }

        uint seconds = ReadU32(header, IsBigEndian);
        uint fraction = ReadU32(header[4..], IsBigEndian);
        uint included = ReadU32(header[8..], IsBigEndian);
        uint original = ReadU32(header[12..], IsBigEndian);
        long fractionNanos = Precision == PcapTimestampPrecision.Nanoseconds ? fraction : fraction * 1000L;
        if (included > MaxRecordLength || original > int.MaxValue || fractionNanos >= 1_000_000_000)
        {
            IsTruncated = true;
            return false;
        }

        var data = new byte[included];
        if (_stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false) < data.Length)
        {
            IsTruncated = true;
            return false;
        }
        record = new PcapRecord((seconds * 1_000_000_000L) + fractionNanos, (int)original, data);
        return true;
    }

    /// <summary>All remaining records.</summary>
    public IEnumerable<PcapRecord> ReadAll()
    {
        while (TryReadNext(out var record))
        {
            yield return record!;
        }
    }

    private static ushort ReadU16(ReadOnlySpan<byte> b, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);

    private static uint ReadU32(ReadOnlySpan<byte> b, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);
}
