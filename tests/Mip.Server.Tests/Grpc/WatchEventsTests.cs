using Google.Rpc;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Time.Testing;
using Mip.Grpc.V1;
using Mip.Server.Grpc;
using Mip.Stack.Iface;
using Mip.Stack.Wire;

namespace Mip.Server.Tests.Grpc;

/// <summary>
/// StackService.WatchEvents called directly on a running stack loop: snapshot order, kind filters, slow watchers, and
/// the end of a dropped watcher's call whose client stopped reading.
/// </summary>
public sealed class WatchEventsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly InProcessStack _server = new();
    private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(30));
    private int _nextSocket;

    private CancellationToken Ct => _cts.Token;

    public void Dispose()
    {
        _cts.Cancel();
        _server.Dispose();
        _cts.Dispose();
    }

    [Fact]
    public async Task The_snapshot_comes_first_then_the_marker_then_only_the_kinds_asked_for()
    {
        var held = new FakeSocket("udp-held", "peer-a");
        await OnLoopAsync((_, _) => _server.Bridge.Sockets.Add(held));
        var service = _server.StackService();
        var all = TestResponseStream<WatchEventsResponse>.Open();
        var socketsOnly = TestResponseStream<WatchEventsResponse>.Open();
        var allCall = service.WatchEvents(new WatchEventsRequest(), all, new TestCallContext("peer-w1", Ct));
        var socketsCall = service.WatchEvents(new WatchEventsRequest { Kinds = { EventKind.Socket } }, socketsOnly, new TestCallContext("peer-w2", Ct));

        var snapshot = await ReadSnapshotAsync(all);
        Assert.Equal(
            [WatchEventsResponse.EventOneofCase.Link, WatchEventsResponse.EventOneofCase.Address, WatchEventsResponse.EventOneofCase.Socket, WatchEventsResponse.EventOneofCase.SnapshotComplete],
            snapshot.Select(m => m.EventCase));
        Assert.All(snapshot, m => Assert.True(m.Snapshot));
        Assert.Equal("192.168.2.10", snapshot[1].Address.Ipv4.Address);
        Assert.Equal(("udp-held", SocketEventKind.Opened), (snapshot[2].Socket.Socket.Id, snapshot[2].Socket.Kind));
        var filteredSnapshot = await ReadSnapshotAsync(socketsOnly);
        Assert.Equal([WatchEventsResponse.EventOneofCase.Socket, WatchEventsResponse.EventOneofCase.SnapshotComplete], filteredSnapshot.Select(m => m.EventCase));

        // Live: a link change, an ARP entry and a socket closing, in that order.
        await OnLoopAsync((stack, now) =>
        {
            _server.Bridge.Events.OnStackEvent(new LinkChanged(now, false), stack);
            _server.Bridge.Events.OnStackEvent(new ArpEntryChanged(now, ArpEntryChangeKind.Added, Ipv4Address.Parse("192.168.2.1"), MacAddress.Parse("02:00:00:00:00:01")), stack);
            _server.Bridge.Sockets.Remove(held);
        });
        var live = new[] { await ReadAsync(all), await ReadAsync(all), await ReadAsync(all) };
        Assert.Equal([WatchEventsResponse.EventOneofCase.Link, WatchEventsResponse.EventOneofCase.Arp, WatchEventsResponse.EventOneofCase.Socket], live.Select(m => m.EventCase));
        Assert.All(live, m => Assert.False(m.Snapshot));
        var closed = await ReadAsync(socketsOnly);
        Assert.Equal(("udp-held", SocketEventKind.Closed), (closed.Socket.Socket.Id, closed.Socket.Kind));
        Assert.False(socketsOnly.Written.TryRead(out var extra), $"unexpected {extra}");

        _cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => allCall.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => socketsCall.WaitAsync(Timeout, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_watcher_that_does_not_read_is_ended_with_WATCHER_TOO_SLOW_and_the_others_get_every_event()
    {
        var service = _server.StackService();
        var stalled = new TestResponseStream<WatchEventsResponse>(); // every write waits: the client reads nothing
        var reader = TestResponseStream<WatchEventsResponse>.Open();
        var stalledCall = service.WatchEvents(new WatchEventsRequest(), stalled, new TestCallContext("peer-slow", Ct));
        var readerCall = service.WatchEvents(new WatchEventsRequest(), reader, new TestCallContext("peer-fast", Ct));
        await stalled.FirstWrite.Task.WaitAsync(Timeout, Ct);
        int snapshotSize = (await ReadSnapshotAsync(reader)).Count;

        // Batches the reading watcher takes in before the next one, so only the stalled watcher falls behind.
        const int batch = 100;
        int produced = 0;
        while (produced < EventWatcher.Capacity + 2 * batch)
        {
            await OnLoopAsync((_, _) =>
            {
                for (int i = 0; i < batch / 2; i++)
                {
                    var socket = new FakeSocket($"udp-{++_nextSocket}", "peer-x");
                    _server.Bridge.Sockets.Add(socket);
                    _server.Bridge.Sockets.Remove(socket);
                }
            });
            for (int i = 0; i < batch; i++)
            {
                var m = await ReadAsync(reader);
                Assert.Equal(produced + i, (int.Parse(m.Socket.Socket.Id["udp-".Length..], System.Globalization.CultureInfo.InvariantCulture) - 1) * 2 + (m.Socket.Kind == SocketEventKind.Closed ? 1 : 0));
            }
            produced += batch;
        }
        Assert.Equal(1, _server.Bridge.Events.WatcherCount);
        Assert.False(readerCall.IsCompleted);

        // Once the stalled client reads again it gets what was queued before the overflow, then the status.
        stalled.Gate.SetResult();
        var ex = await Assert.ThrowsAsync<RpcException>(() => stalledCall.WaitAsync(Timeout, Ct));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal("WATCHER_TOO_SLOW", ex.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        int delivered = 0;
        while (stalled.Written.TryRead(out _))
        {
            delivered++;
        }
        // The snapshot, then live events until the queue (capacity plus room for the snapshot) was full.
        Assert.InRange(delivered, EventWatcher.Capacity + snapshotSize, EventWatcher.Capacity + snapshotSize + 1);

        // Watching again works and starts with a fresh snapshot.
        var again = TestResponseStream<WatchEventsResponse>.Open();
        _ = service.WatchEvents(new WatchEventsRequest(), again, new TestCallContext("peer-slow", Ct));
        Assert.Equal(snapshotSize, (await ReadSnapshotAsync(again)).Count);
        Assert.Equal(2, _server.Bridge.Events.WatcherCount);
    }

    [Fact]
    public async Task A_dropped_watcher_whose_client_never_reads_again_is_ended_after_the_grace_period_and_its_stream_reset()
    {
        var time = new FakeTimeProvider();
        _server.Bridge.Events.Time = time;
        var grace = _server.Bridge.Events.DroppedWatcherGrace;
        var stalled = new TestResponseStream<WatchEventsResponse>(); // the gate never opens: a client gone quiet
        var lifetime = new RecordingLifetime();
        var call = _server.StackService().WatchEvents(new WatchEventsRequest(), stalled, HostedContext("peer-gone", lifetime));
        await stalled.FirstWrite.Task.WaitAsync(Timeout, Ct);
        Assert.Equal(1, _server.Bridge.Events.WatcherCount);

        // Twice the queue's capacity while the first write waits: the hub drops the watcher.
        await OnLoopAsync((_, _) =>
        {
            for (int i = 0; i < EventWatcher.Capacity; i++)
            {
                var socket = new FakeSocket($"udp-{++_nextSocket}", "peer-x");
                _server.Bridge.Sockets.Add(socket);
                _server.Bridge.Sockets.Remove(socket);
            }
        });
        Assert.Equal(0, _server.Bridge.Events.WatcherCount);

        // Within the grace period the call still waits for its client (which could yet take the queue and the status).
        time.Advance(grace - TimeSpan.FromMilliseconds(1));
        Assert.False(call.IsCompleted);
        Assert.Null(lifetime.ResetCode);

        // Then the write is cancelled, the stream reset with ENHANCE_YOUR_CALM (a client reads ResourceExhausted) and
        // the call ended with the reason.
        time.Advance(TimeSpan.FromMilliseconds(1));
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.WaitAsync(Timeout, Ct));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal("WATCHER_TOO_SLOW", ex.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        Assert.Equal(0xb, lifetime.ResetCode);
        Assert.False(lifetime.Aborted);
        Assert.False(stalled.Written.TryRead(out _));
        Assert.Equal(0, _server.Bridge.Events.WatcherCount);
    }

    [Fact]
    public async Task At_shutdown_a_reading_watcher_ends_normally_and_one_that_does_not_read_is_reset_after_the_shutdown_grace()
    {
        var time = new FakeTimeProvider();
        _server.Bridge.Events.Time = time;
        var grace = _server.Bridge.Events.ShutdownGrace;
        var stalled = new TestResponseStream<WatchEventsResponse>(); // the gate never opens
        var lifetime = new RecordingLifetime();
        var service = _server.StackService();
        var stalledCall = service.WatchEvents(new WatchEventsRequest(), stalled, HostedContext("peer-stalled", lifetime));
        var reader = TestResponseStream<WatchEventsResponse>.Open();
        var readerLifetime = new RecordingLifetime();
        var readerCall = service.WatchEvents(new WatchEventsRequest(), reader, HostedContext("peer-reading", readerLifetime));
        await stalled.FirstWrite.Task.WaitAsync(Timeout, Ct);
        await ReadSnapshotAsync(reader);

        await OnLoopAsync((_, _) => _server.Bridge.Events.CloseAll());
        // The reading watch ends at once with the status clients retry on.
        var stopping = await Assert.ThrowsAsync<RpcException>(() => readerCall.WaitAsync(Timeout, Ct));
        Assert.Equal(StatusCode.Unavailable, stopping.StatusCode);
        Assert.Equal("SERVER_SHUTTING_DOWN", stopping.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        time.Advance(grace - TimeSpan.FromMilliseconds(1));
        Assert.False(stalledCall.IsCompleted);

        // The stream is reset with REFUSED_STREAM (a client reads Unavailable), the write cancelled, the call ended.
        time.Advance(TimeSpan.FromMilliseconds(1));
        await stalledCall.WaitAsync(Timeout, Ct);
        Assert.Equal(0x7, lifetime.ResetCode);
        Assert.Null(readerLifetime.ResetCode);
        Assert.Equal(0, _server.Bridge.Events.WatcherCount);
    }

    [Fact]
    public async Task An_unknown_kind_is_an_invalid_argument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => _server.StackService().WatchEvents(
            new WatchEventsRequest { Kinds = { (EventKind)42 } }, TestResponseStream<WatchEventsResponse>.Open(), new TestCallContext("p", Ct)));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    private Task OnLoopAsync(Action<NetStack, Mip.Stack.Instant> action) =>
        _server.Bridge.InvokeAsync((stack, now) =>
        {
            action(stack, now);
            return true;
        }, Ct).WaitAsync(Timeout, Ct);

    private async Task<WatchEventsResponse> ReadAsync(TestResponseStream<WatchEventsResponse> stream) =>
        await stream.Written.ReadAsync(Ct).AsTask().WaitAsync(Timeout, Ct);

    private async Task<List<WatchEventsResponse>> ReadSnapshotAsync(TestResponseStream<WatchEventsResponse> stream)
    {
        var messages = new List<WatchEventsResponse>();
        do
        {
            messages.Add(await ReadAsync(stream));
        }
        while (messages[^1].EventCase != WatchEventsResponse.EventOneofCase.SnapshotComplete);
        return messages;
    }

    /// <summary>A call context with an HttpContext whose abort and reset <paramref name="lifetime"/> records.</summary>
    private TestCallContext HostedContext(string peer, RecordingLifetime lifetime)
    {
        var http = new DefaultHttpContext();
        http.Features.Set<IHttpRequestLifetimeFeature>(lifetime);
        http.Features.Set<IHttpResetFeature>(lifetime);
        var context = new TestCallContext(peer, Ct);
        context.UserState["__HttpContext"] = http;   // where GetHttpContext finds it outside ASP.NET Core's own context
        return context;
    }

    /// <summary>Records an abort (Kestrel: RST_STREAM INTERNAL_ERROR) or a reset with a chosen HTTP/2 error code.</summary>
    private sealed class RecordingLifetime : IHttpRequestLifetimeFeature, IHttpResetFeature
    {
        public CancellationToken RequestAborted { get; set; }

        public bool Aborted { get; private set; }

        public int? ResetCode { get; private set; }

        public void Abort() => Aborted = true;

        public void Reset(int errorCode) => ResetCode = errorCode;
    }

    private sealed class FakeSocket(string id, string owner) : ServerSocket(id, owner)
    {
        public override SocketProtocol Protocol => SocketProtocol.Udp;

        public override Ipv4Endpoint Local { get; } = new(Ipv4Address.Parse("192.168.2.10"), 5000);

        public override void Abort(string reason)
        {
        }
    }
}
