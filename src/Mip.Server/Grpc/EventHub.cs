using Grpc.Core;
using Mip.Grpc.V1;
using Mip.Stack;
using Mip.Stack.Iface;

namespace Mip.Server.Grpc;

/// <summary>
/// Fans stack and socket events out to WatchEvents calls. Everything runs on the stack loop thread: the snapshot is
/// taken and the watcher added in one loop command, so no event falls between the snapshot and the live stream.
/// </summary>
internal sealed class EventHub(StackClock clock)
{
    private readonly List<EventWatcher> _watchers = [];

    public StackClock Clock { get; } = clock;

    /// <summary>
    /// How long the call of a watcher dropped for falling behind may still take to deliver its queue and status.
    /// Five seconds: a client that is reading at all takes in 1024 small events in milliseconds and then hears
    /// WATCHER_TOO_SLOW (its cue to watch again), whereas ending the call at once would reset the stream under a
    /// client that only hiccupped, so it would see a transport error instead of the reason.
    /// </summary>
    public TimeSpan DroppedWatcherGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a watch ended at shutdown may still take to deliver its queue. One second: a reading client takes in
    /// the rest in milliseconds, while one that reads nothing would otherwise hold the server's exit until Kestrel's
    /// shutdown timeout (30 s), its write stuck behind flow control.
    /// </summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Time for <see cref="DroppedWatcherGrace"/> and <see cref="ShutdownGrace"/> (tests use a fake).</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Watchers currently attached; safe to read anywhere (metrics).</summary>
    public int WatcherCount => Volatile.Read(ref _count);

    private int _count;

    /// <summary>
    /// On the loop thread: queues the snapshot (link, address, ARP entries, sockets, then SnapshotComplete) and
    /// attaches the watcher.
    /// </summary>
    public EventWatcher Subscribe(IEnumerable<EventKind> kinds, NetStack stack, SocketRegistry sockets, Instant now)
    {
        var at = Clock.ToTimestamp(now);
        var snapshot = new List<WatchEventsResponse>
        {
            new() { Time = at, Snapshot = true, Link = new LinkEvent { Up = stack.IsLinkUp } },
        };
        var address = new AddressEvent();
        if (stack.Ipv4 is { } config)
        {
            address.Ipv4 = EventMapper.ToIpv4Status(config, stack.Dhcp?.Lease, stack.Dhcp is null, Clock);
        }
        snapshot.Add(new WatchEventsResponse { Time = at, Snapshot = true, Address = address });
        foreach (var entry in stack.GetArpTable(now))
        {
            snapshot.Add(new WatchEventsResponse
            {
                Time = at,
                Snapshot = true,
                Arp = new ArpEvent { Kind = ArpEventKind.Added, Entry = EventMapper.ToArpEntry(entry) },
            });
        }
        foreach (var socket in sockets.All)
        {
            snapshot.Add(new WatchEventsResponse
            {
                Time = at,
                Snapshot = true,
                Socket = new SocketEvent { Kind = SocketEventKind.Opened, Socket = socket.ToProto() },
            });
        }
        var watcher = new EventWatcher(kinds, snapshot.Count + 1, Time, DroppedWatcherGrace);
        foreach (var message in snapshot)
        {
            watcher.Offer(message);
        }
        watcher.Offer(new WatchEventsResponse { Time = at, Snapshot = true, SnapshotComplete = new SnapshotComplete() });
        _watchers.Add(watcher);
        Volatile.Write(ref _count, _watchers.Count);
        return watcher;
    }

    /// <summary>On the loop thread: detaches a watcher whose call ended.</summary>
    public void Unsubscribe(EventWatcher watcher)
    {
        watcher.Close();
        watcher.Dispose();
        _watchers.Remove(watcher);
        Volatile.Write(ref _count, _watchers.Count);
    }

    /// <summary>On the loop thread: a stack event (ignored unless it is a watched kind).</summary>
    public void OnStackEvent(StackEvent ev, NetStack stack)
    {
        if (_watchers.Count == 0)
        {
            return;
        }
        if (EventMapper.ToWatchEvent(ev, stack.Dhcp?.Lease, stack.Dhcp is null, Clock) is { } message)
        {
            Publish(message);
        }
    }

    /// <summary>On the loop thread: a gRPC socket opened or closed.</summary>
    public void OnSocketChanged(ServerSocket socket, SocketEventKind kind, string error, Instant now)
    {
        if (_watchers.Count > 0)
        {
            Publish(EventMapper.ToSocketEvent(socket, kind, error, now, Clock));
        }
    }

    /// <summary>
    /// On the loop thread (server shutdown): ends every watch with Unavailable / SERVER_SHUTTING_DOWN after what it has
    /// queued, the status gRPC clients retry on (ending OK would read as "no more events, ever"); a call whose client
    /// does not take the rest within <see cref="ShutdownGrace"/> has its stream reset.
    /// </summary>
    public void CloseAll()
    {
        var stopping = GrpcErrors.Create(StatusCode.Unavailable, "SERVER_SHUTTING_DOWN",
            "the server is shutting down; watch again once it is back (the first messages are a fresh snapshot)");
        foreach (var watcher in _watchers)
        {
            watcher.End(stopping, ShutdownGrace);
        }
        _watchers.Clear();
        Volatile.Write(ref _count, 0);
    }

    private void Publish(WatchEventsResponse message)
    {
        for (int i = _watchers.Count - 1; i >= 0; i--)
        {
            if (!_watchers[i].Offer(message))
            {
                _watchers.RemoveAt(i);
            }
        }
        Volatile.Write(ref _count, _watchers.Count);
    }
}
