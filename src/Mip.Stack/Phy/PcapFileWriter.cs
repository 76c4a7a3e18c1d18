using System.Buffers.Binary;

namespace Mip.Stack.Phy;

/// <summary>
/// Writes the classic libpcap file format (what tcpdump -w writes and Wireshark reads): a 24-byte global header,
/// then per frame a 16-byte record header and the frame bytes. Written little-endian (readers detect the byte order
/// from the magic), version 2.4, link type 1 (Ethernet).
/// </summary>
/// <remarks>
/// Flushing: the header is flushed at once; then the stream is flushed when a record's timestamp is at least
/// <c>flushInterval</c> after the previous flush (default 1 s), so a capture being followed live lags by about a
/// second at most while a busy link does not pay a flush per frame. Time comes from the records, not a clock.
/// Not thread-safe.
/// </remarks>
public sealed class PcapFileWriter : IDisposable
{
    public const uint MagicMicroseconds = 0xa1b2_c3d4;
    public const uint MagicNanoseconds = 0xa1b2_3c4d;
    public const ushort VersionMajor = 2;
    public const ushort VersionMinor = 4;
    public const uint LinkTypeEthernet = 1;
    public const int GlobalHeaderLength = 24;
    public const int RecordHeaderLength = 16;

    /// <summary>tcpdump's default snapshot length.</summary>
    public const int DefaultSnapLength = 262_144;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly TimeSpan _flushInterval;
    private DateTimeOffset _nextFlush = DateTimeOffset.MinValue;
    private bool _disposed;

    public PcapFileWriter(
        Stream stream,
        PcapTimestampPrecision precision = PcapTimestampPrecision.Microseconds,
        int snapLength = DefaultSnapLength,
        bool leaveOpen = false,
        TimeSpan? flushInterval = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(snapLength);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _flushInterval = flushInterval ?? TimeSpan.FromSeconds(1);
        ArgumentOutOfRangeException.ThrowIfLessThan(_flushInterval, TimeSpan.Zero, nameof(flushInterval));
        Precision = precision;
        SnapLength = snapLength;

        Span<byte> header = stackalloc byte[GlobalHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, precision == PcapTimestampPrecision.Nanoseconds ? MagicNanoseconds : MagicMicroseconds);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], VersionMajor);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], VersionMinor);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0);   // thiszone: timestamps are UTC
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0); // sigfigs: always 0 in practice
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], LinkTypeEthernet);
        _stream.Write(header);
        _stream.Flush();
    }

    public PcapTimestampPrecision Precision { get; }

    /// <summary>Frames longer than this are cut to it in the file (the record keeps the original length).</summary>
    public int SnapLength { get; }

    /// <summary>Records written.</summary>
    public long Records { get; private set; }

    /// <summary>
    /// Appends one frame captured at <paramref name="timestamp"/>. Times before 1970 are written as 1970 (the
    /// format's seconds field is unsigned).
    /// </summary>
    public void Write(DateTimeOffset timestamp, ReadOnlySpan<byte> frame)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long ticks = Math.Max(0, timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks);
        long seconds = Math.Min(ticks / TimeSpan.TicksPerSecond, uint.MaxValue);
        long fractionTicks = ticks % TimeSpan.TicksPerSecond;
        uint fraction = Precision == PcapTimestampPrecision.Nanoseconds
            ? (uint)(fractionTicks * TimeSpan.NanosecondsPerTick)
            : (uint)(fractionTicks / TimeSpan.TicksPerMicrosecond);
        int included = Math.Min(frame.Length, SnapLength);

        Span<byte> header = stackalloc byte[RecordHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], fraction);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)included);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)frame.Length);
        _stream.Write(header);
        _stream.Write(frame[..included]);
        Records++;

        if (timestamp >= _nextFlush)
        {
            _stream.Flush();
            _nextFlush = timestamp + _flushInterval;
        }
    }

    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _stream.Flush();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            _stream.Flush();
        }
        finally
        {
            if (!_leaveOpen)
            {
                _stream.Dispose();
            }
        }
    }
}
