using System.Threading.Channels;
using Grpc.Core;
using Mip.Grpc.V1;

namespace Mip.Server.Grpc;

/// <summary>
/// One WatchEvents call: its kinds and a bounded queue between the stack loop (writer) and the call (reader). A
/// watcher that falls <see cref="Capacity"/> messages behind is ended with ResourceExhausted instead of growing memory
/// or blocking the loop; it can watch again and gets a fresh snapshot.
/// </summary>
internal sealed class EventWatcher
{
    public const int Capacity = 1024;

    private readonly Channel<WatchEventsResponse> _channel;
    private readonly bool[] _kinds;

    public EventWatcher(IEnumerable<EventKind> kinds, int snapshotSize)
    {
        _kinds = new bool[Enum.GetValues<EventKind>().Length];
        bool any = false;
        foreach (var kind in kinds)
        {
            if (kind != EventKind.Unspecified && (int)kind < _kinds.Length)
            {
                _kinds[(int)kind] = any = true;
            }
        }
        if (!any)
        {
            Array.Fill(_kinds, true);
        }
        // Room for the whole snapshot on top of the live backlog, so a large ARP table never overflows at subscription.
        _channel = Channel.CreateBounded<WatchEventsResponse>(new BoundedChannelOptions(Capacity + snapshotSize)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public ChannelReader<WatchEventsResponse> Reader => _channel.Reader;

    public bool IsClosed { get; private set; }

    public bool Wants(EventKind kind) => _kinds[(int)kind];

    /// <summary>Queues <paramref name="message"/> if the watcher wants its kind; false when the watcher overflowed and was ended.</summary>
    public bool Offer(WatchEventsResponse message)
    {
        if (IsClosed)
        {
            return false;
        }
        var kind = EventMapper.KindOf(message);
        if (kind != EventKind.Unspecified && !Wants(kind))
        {
            return true;
        }
        if (_channel.Writer.TryWrite(message))
        {
            return true;
        }
        Close(GrpcErrors.Create(StatusCode.ResourceExhausted, "WATCHER_TOO_SLOW",
            $"the client fell {Capacity} events behind; watch again to get a fresh snapshot"));
        return false;
    }

    public void Close(Exception? error = null)
    {
        IsClosed = true;
        _channel.Writer.TryComplete(error);
    }
}
