using Mip.Stack;
using Mip.Stack.Phy;

namespace Mip.Server.Grpc.Capture;

/// <summary>
/// A device wrapper (like <see cref="PcapWriterDevice"/>) that lets Capture calls see the stack's frames. With no
/// capture running it costs one volatile read per frame; with some, each frame is offered to every session, which
/// filters and copies it. Received frames are seen before the stack, sent ones before the inner device.
/// </summary>
internal sealed class CaptureTap : INetworkDevice
{
    private readonly INetworkDevice _inner;
    private readonly Func<Instant> _clock;
    private readonly StackClock _wall;
    private readonly FrameHandler _onReceived;
    private readonly Lock _gate = new();
    private volatile CaptureSession[] _sessions = [];
    private FrameHandler? _handler;

    public CaptureTap(INetworkDevice inner, Func<Instant> clock, StackClock wall)
    {
        _inner = inner;
        _clock = clock;
        _wall = wall;
        _onReceived = OnReceived;
    }

    public int Mtu => _inner.Mtu;

    public bool IsLinkUp => _inner.IsLinkUp;

    public int ActiveSessions => _sessions.Length;

    /// <summary>Starts copying frames to <paramref name="session"/> (any thread).</summary>
    public void Add(CaptureSession session)
    {
        lock (_gate)
        {
            _sessions = [.. _sessions, session];
        }
    }

    /// <summary>Stops copying to <paramref name="session"/> (any thread). A frame being offered right now may still arrive.</summary>
    public void Remove(CaptureSession session)
    {
        lock (_gate)
        {
            _sessions = [.. _sessions.Where(s => s != session)];
        }
    }

    /// <summary>Ends every session's frame queue (server shutdown): each capture call delivers what it holds and ends OK.</summary>
    public void CompleteAll()
    {
        foreach (var session in _sessions)
        {
            session.Complete();
        }
    }

    public int Receive(FrameHandler handler, int maxFrames)
    {
        if (_sessions.Length == 0)
        {
            return _inner.Receive(handler, maxFrames);
        }
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

    public bool Transmit(ReadOnlySpan<byte> frame)
    {
        Offer(frame, inbound: false);
        return _inner.Transmit(frame);
    }

    /// <summary>The pcap device batches transmits: the stack's end-of-poll flush must reach it through the tap.</summary>
    public void Flush() => _inner.Flush();

    private void OnReceived(ReadOnlySpan<byte> frame)
    {
        Offer(frame, inbound: true);
        _handler!(frame);
    }

    private void Offer(ReadOnlySpan<byte> frame, bool inbound)
    {
        var sessions = _sessions;
        if (sessions.Length == 0)
        {
            return;
        }
        long micros = (_wall.ToDateTime(_clock()) - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        foreach (var session in sessions)
        {
            session.Offer(frame, micros, inbound);
        }
    }
}
