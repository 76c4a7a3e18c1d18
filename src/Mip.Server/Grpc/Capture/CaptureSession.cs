using System.Buffers;
using System.Threading.Channels;

namespace Mip.Server.Grpc.Capture;

/// <summary>
/// One Capture call's queue: the tap (on the loop thread) copies matching frames into pooled buffers here, the call
/// writes them out. Bounded: when the client reads too slowly, frames are dropped and counted, never buffered without
/// limit and never blocking the stack.
/// </summary>
internal sealed class CaptureSession(CaptureFilter filter, int snapLength, int capacity = CaptureSession.DefaultCapacity)
{
    public const int DefaultCapacity = 4096;

    private readonly Channel<CapturedFrame> _frames = Channel.CreateBounded<CapturedFrame>(new BoundedChannelOptions(capacity)
    {
        SingleReader = true,
        SingleWriter = true,
    });
    private long _dropped;

    public CaptureFilter Filter { get; } = filter;

    public int SnapLength { get; } = snapLength;

    public ChannelReader<CapturedFrame> Frames => _frames.Reader;

    /// <summary>Frames dropped because the queue was full (read from any thread).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>On the loop thread: copies <paramref name="frame"/> if it matches.</summary>
    public void Offer(ReadOnlySpan<byte> frame, long timestampMicroseconds, bool inbound)
    {
        if (!Filter.Matches(frame, inbound))
        {
            return;
        }
        int kept = SnapLength > 0 ? Math.Min(SnapLength, frame.Length) : frame.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(kept, 1));
        frame[..kept].CopyTo(buffer);
        if (!_frames.Writer.TryWrite(new CapturedFrame(buffer, kept, frame.Length, timestampMicroseconds, inbound)))
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Ends the session and returns the buffers still queued.</summary>
    public void Complete()
    {
        _frames.Writer.TryComplete();
        while (_frames.Reader.TryRead(out var frame))
        {
            ArrayPool<byte>.Shared.Return(frame.Buffer);
        }
    }
}
