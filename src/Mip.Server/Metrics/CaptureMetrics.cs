using System.Diagnostics.Metrics;
using Mip.Grpc.V1;
using Mip.Server.Grpc;

namespace Mip.Server.Metrics;

/// <summary>
/// The gRPC side's own instruments on meter "Mip.Server": sockets held for clients, event watchers, captures and
/// the frames captures dropped because their client read too slowly.
/// </summary>
internal sealed class CaptureMetrics : IDisposable
{
    public const string MeterName = "Mip.Server";

    private readonly Meter _meter;
    private readonly Counter<long> _captureDrops;
    private readonly UpDownCounter<int> _captures;

    public CaptureMetrics(IMeterFactory meters, StackBridge bridge)
    {
        _meter = meters.Create(MeterName);
        _captureDrops = _meter.CreateCounter<long>("mip.capture.dropped", "{frame}", "Frames a capture dropped because its client read too slowly");
        _captures = _meter.CreateUpDownCounter<int>("mip.capture.active", "{capture}", "Capture calls running");
        _meter.CreateObservableUpDownCounter("mip.grpc.sockets.open", () => new[]
        {
            new Measurement<int>(bridge.Sockets.OpenCount(SocketProtocol.Udp), new KeyValuePair<string, object?>("protocol", "udp")),
            new Measurement<int>(bridge.Sockets.OpenCount(SocketProtocol.Tcp), new KeyValuePair<string, object?>("protocol", "tcp")),
            new Measurement<int>(bridge.Sockets.OpenCount(SocketProtocol.TcpListener), new KeyValuePair<string, object?>("protocol", "tcp_listener")),
        }, "{socket}", "Stack sockets held open for gRPC clients, by protocol");
        _meter.CreateObservableUpDownCounter("mip.grpc.event.watchers", () => bridge.Events.WatcherCount, "{watcher}", "WatchEvents calls attached");
        // Recorded once so the series exists from the first scrape, not only after the first capture.
        _captureDrops.Add(0);
        _captures.Add(0);
    }

    public void SessionStarted() => _captures.Add(1);

    public void SessionEnded() => _captures.Add(-1);

    public void Dropped(long frames)
    {
        if (frames > 0)
        {
            _captureDrops.Add(frames);
        }
    }

    public void Dispose() => _meter.Dispose();
}
