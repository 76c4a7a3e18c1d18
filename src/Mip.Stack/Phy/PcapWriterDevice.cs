namespace Mip.Stack.Phy;

/// <summary>
/// Wraps any device and records every frame it receives and transmits into a pcap file (smoltcp's PcapWriter
/// device), so a run can be opened in Wireshark. Timestamps come from <c>clock</c>: <see cref="Instant.Zero"/> maps
/// to the <c>epoch</c> given, so captures line up with wall time when the host's Instants count from a known moment.
/// </summary>
/// <remarks>
/// Received frames are recorded before the stack sees them, transmitted ones before the inner device is asked to
/// send them (as tcpdump sees a frame the driver may still drop). Classic pcap has no direction field. If writing
/// fails (disk full, stream closed), capture stops and the error is kept in <see cref="CaptureError"/>: a broken
/// capture never breaks the link. The caller owns and disposes the writer.
/// </remarks>
public sealed class PcapWriterDevice : INetworkDevice
{
    private readonly INetworkDevice _inner;
    private readonly PcapFileWriter _writer;
    private readonly Func<Instant> _clock;
    private readonly DateTimeOffset _epoch;
    private readonly FrameHandler _onReceived;
    private FrameHandler? _handler;

    public PcapWriterDevice(INetworkDevice inner, PcapFileWriter writer, Func<Instant> clock, DateTimeOffset epoch)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(clock);
        _inner = inner;
        _writer = writer;
        _clock = clock;
        _epoch = epoch;
        _onReceived = OnReceived;
    }

    public int Mtu => _inner.Mtu;

    public bool IsLinkUp => _inner.IsLinkUp;

    /// <summary>Frames written to the file.</summary>
    public long CapturedFrames { get; private set; }

    /// <summary>Why capture stopped, or null while it runs.</summary>
    public Exception? CaptureError { get; private set; }

    public int Receive(FrameHandler handler, int maxFrames)
    {
        _handler = handler;
        try
        {
            return _inner.Receive(_onReceived, maxFrames);
        }
        finally
        {
            _handler = null;
        }
    }

    public void Flush() => _inner.Flush();

    public bool Transmit(ReadOnlySpan<byte> frame)
    {
        Capture(frame);
        return _inner.Transmit(frame);
    }

    private void OnReceived(ReadOnlySpan<byte> frame)
    {
        Capture(frame);
        _handler!(frame);
    }

    private void Capture(ReadOnlySpan<byte> frame)
    {
        if (CaptureError is not null)
        {
            return;
        }
        try
        {
            _writer.Write(_epoch.AddTicks(_clock().Microseconds * TimeSpan.TicksPerMicrosecond), frame);
            CapturedFrames++;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or ArgumentOutOfRangeException)
        {
            CaptureError = e;
        }
    }
}
