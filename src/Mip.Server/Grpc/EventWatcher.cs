using System.Threading.Channels;
using Grpc.Core;
using Mip.Grpc.V1;

namespace Mip.Server.Grpc;

/// <summary>
/// One WatchEvents call: its kinds and a bounded queue between the stack loop (writer) and the call (reader). A
/// watcher that falls <see cref="Capacity"/> messages behind is ended with ResourceExhausted instead of growing memory
/// or blocking the loop; it can watch again and gets a fresh snapshot. Its call then has a grace period to deliver
/// what was queued and the status; a client that reads nothing meanwhile would hold the call (and its HTTP/2 stream)
/// open forever in a write flow control never lets through, so <see cref="GiveUp"/> fires and the call is ended.
/// </summary>
internal sealed class EventWatcher : IDisposable
{
    public const int Capacity = 1024;

    private readonly Channel<WatchEventsResponse> _channel;
    private readonly bool[] _kinds;
    private readonly TimeProvider _time;
    private readonly TimeSpan _droppedGrace;
    private readonly CancellationTokenSource _giveUp = new();
    private ITimer? _giveUpTimer;

    public EventWatcher(IEnumerable<EventKind> kinds, int snapshotSize, TimeProvider time, TimeSpan droppedGrace)
    {
        _time = time;
        _droppedGrace = droppedGrace;
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

    /// <summary>The status the watcher was ended with for falling behind; null otherwise.</summary>
    public RpcException? DropError { get; private set; }

    /// <summary>
    /// Cancelled the grace period after the watcher was dropped for falling behind, or closed at shutdown: stop waiting
    /// for the client.
    /// </summary>
    public CancellationToken GiveUp => _giveUp.Token;

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
        DropError = GrpcErrors.Create(StatusCode.ResourceExhausted, "WATCHER_TOO_SLOW",
            $"the client fell {Capacity} events behind; watch again to get a fresh snapshot");
        End(DropError, _droppedGrace);
        return false;
    }

    /// <summary>
    /// On the loop thread: closes the queue (with <paramref name="error"/>, or normally) and gives the call
    /// <paramref name="grace"/> to deliver what is queued before <see cref="GiveUp"/> fires.
    /// </summary>
    public void End(RpcException? error, TimeSpan grace)
    {
        if (_giveUpTimer is not null)
        {
            return;
        }
        Close(error);
        // A timer even for a zero grace: cancelling here would run the call's cancellation callbacks on the loop thread.
        _giveUpTimer = _time.CreateTimer(static state => CancelQuietly((CancellationTokenSource)state!), _giveUp,
            grace, Timeout.InfiniteTimeSpan);
    }

    /// <summary>On the loop thread, once the call ended (so no Offer arms the timer afterwards).</summary>
    public void Dispose()
    {
        _giveUpTimer?.Dispose();
        _giveUp.Dispose();
    }

    /// <summary>The call may be over and its watcher forgotten by the time the timer fires: nothing to do then.</summary>
    private static void CancelQuietly(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Close(Exception? error = null)
    {
        IsClosed = true;
        _channel.Writer.TryComplete(error);
    }
}
