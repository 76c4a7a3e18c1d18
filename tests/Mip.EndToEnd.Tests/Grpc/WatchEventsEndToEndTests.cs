using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using Mip.EndToEnd.Tests.Lab;
using Mip.Grpc.V1;

namespace Mip.EndToEnd.Tests.Grpc;

/// <summary>
/// WatchEvents watchers that never read, against the real server (Kestrel) and real grpc-dotnet clients: dropped for
/// falling behind, and at shutdown.
/// </summary>
/// <remarks>
/// How much a client that never reads absorbs before the server's writes wait: SocketsHttpHandler buffers a stream's
/// DATA up to its receive window, 65,535 bytes at first, and grows that window only as the application reads, so it
/// never grows here; Kestrel holds only a few KB more. Measured: a watcher of all kinds was dropped after 975 UDP
/// open/close pairs, 1950 socket events of 75 bytes: 1027 queued (capacity and snapshot), ~920 (69 KB) in buffers.
/// </remarks>
public sealed class WatchEventsEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private const int BufferedBytes = 70_000; // as measured above
    private const int QueueCapacity = 1024; // EventWatcher.Capacity
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5); // EventHub.DroppedWatcherGrace

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_watcher_that_never_reads_is_dropped_then_reset_after_the_grace_while_a_reading_watcher_gets_every_event()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        using var server = new MipServerProcess(lab, null, "--ip", "192.168.2.7/24");
        Assert.True(server.WaitForOutput("READY, IP:", Timeout), server.Output);
        using var http = new HttpClient();
        var udp = new UdpService.UdpServiceClient(server.Channel);
        var reader = await EventReader.StartAsync(new StackService.StackServiceClient(server.Channel));
        using var stalledWatch = await StalledWatch.StartAsync(server);
        var stalled = stalledWatch.Call;
        await WaitForAsync(http, server, Watchers, 2);
        Assert.Equal(2, await ScrapeAsync(http, server, ActiveGrpcCalls));

        // Well past what the stalled client's buffers and its queue hold, while the metrics say when the hub drops it.
        int eventBytes = await MeasureEventAsync(udp, reader);
        int pairs = (int)((QueueCapacity + BufferedBytes / eventBytes) * 1.5 / 2);
        var clock = Stopwatch.StartNew();
        var production = ProduceAsync(udp, pairs - 1);
        TimeSpan? dropped = null;
        while (dropped is null && clock.Elapsed < Timeout)
        {
            if (await ScrapeAsync(http, server, Watchers) == 1)
            {
                dropped = clock.Elapsed;
            }
            await Task.Delay(20, Ct);
        }
        Assert.NotNull(dropped);
        await production.WaitAsync(Timeout, Ct);

        // The reading watcher got every socket event, in the loop's order.
        var live = await reader.WaitForAsync(2 * pairs, Timeout);
        EventReader.AssertInOrder(live, pairs);

        // The stalled call holds its request until the grace ends, then its stream is reset and the call freed.
        await WaitForAsync(http, server, ActiveGrpcCalls, 1, Grace + TimeSpan.FromSeconds(4));
        var freed = clock.Elapsed;
        Assert.InRange(freed - dropped.Value, Grace - TimeSpan.FromSeconds(1), Grace + TimeSpan.FromSeconds(3));

        // What the stalled client finally reads: not the ~2000 messages it has buffered and queued, nor the status with
        // WATCHER_TOO_SLOW (both were behind flow control), but the reset, which SocketsHttpHandler reports before any
        // buffered DATA; ENHANCE_YOUR_CALM maps to ResourceExhausted.
        int read = 0;
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await stalled.ResponseStream.MoveNext(Ct))
            {
                read++;
            }
        });
        Assert.True(StatusCode.ResourceExhausted == ex.StatusCode, ex.ToString());
        Assert.Contains("ENHANCE_YOUR_CALM", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, read);

        // The reading watcher is still attached and live.
        await ProduceAsync(udp, 1);
        await reader.WaitForAsync(2 * pairs + 2, Timeout);
        Assert.Equal(1, await ScrapeAsync(http, server, Watchers));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task At_SIGTERM_a_reading_watcher_ends_unavailable_and_one_that_never_reads_does_not_hold_the_exit()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        using var server = new MipServerProcess(lab, null, "--ip", "192.168.2.7/24");
        Assert.True(server.WaitForOutput("READY, IP:", Timeout), server.Output);
        using var http = new HttpClient();
        var udp = new UdpService.UdpServiceClient(server.Channel);
        var reader = await EventReader.StartAsync(new StackService.StackServiceClient(server.Channel));
        using var stalledWatch = await StalledWatch.StartAsync(server);
        var stalled = stalledWatch.Call;
        await WaitForAsync(http, server, Watchers, 2);

        // Enough for the stalled call's write to wait on flow control, half a queue short of dropping it.
        int eventBytes = await MeasureEventAsync(udp, reader);
        int pairs = (BufferedBytes / eventBytes + QueueCapacity / 2) / 2;
        await ProduceAsync(udp, pairs - 1);
        var live = await reader.WaitForAsync(2 * pairs, Timeout);
        EventReader.AssertInOrder(live, pairs);
        Assert.Equal(2, await ScrapeAsync(http, server, Watchers));

        // Without ending the watches as shutdown begins, Kestrel waited for both calls for its whole shutdown
        // timeout (30 s). Now the reading watch ends at once and the stalled one after EventHub.ShutdownGrace (1 s).
        var clock = Stopwatch.StartNew();
        Assert.True(server.Terminate(TimeSpan.FromSeconds(10)), server.Output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"exit took {clock.Elapsed}");
        // The reading watch ended with the status clients retry on.
        var stopping = await reader.Completion.WaitAsync(Timeout, Ct);
        Assert.NotNull(stopping);
        Assert.Equal(StatusCode.Unavailable, stopping.StatusCode);
        Assert.Equal("SERVER_SHUTTING_DOWN", stopping.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        // The stalled client's stream was reset with REFUSED_STREAM before the connection closed: a server going away.
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await stalled.ResponseStream.MoveNext(Ct))
            {
            }
        });
        Assert.True(StatusCode.Unavailable == ex.StatusCode, ex.ToString());
        Assert.Contains("REFUSED_STREAM", ex.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>
    /// A watch whose messages are never read (until a test decides to), from another process as far as the server
    /// knows: its own channel, so its own HTTP/2 connection and flow-control windows.
    /// </summary>
    private sealed class StalledWatch : IDisposable
    {
        private readonly GrpcChannel _channel;

        private StalledWatch(GrpcChannel channel, AsyncServerStreamingCall<WatchEventsResponse> call) => (_channel, Call) = (channel, call);

        public AsyncServerStreamingCall<WatchEventsResponse> Call { get; }

        public static async Task<StalledWatch> StartAsync(MipServerProcess server)
        {
            var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}");
            var call = new StackService.StackServiceClient(channel).WatchEvents(new WatchEventsRequest(), cancellationToken: Ct);
            await call.ResponseHeadersAsync; // the call is up
            return new StalledWatch(channel, call);
        }

        public void Dispose()
        {
            Call.Dispose();
            _channel.Dispose();
        }
    }

    private const string Watchers = "mip_grpc_event_watchers";
    // gRPC calls are POSTs; the scrape itself is a GET.
    private const string ActiveGrpcCalls = "http_server_active_requests{otel_scope_name=\"Microsoft.AspNetCore.Hosting\",http_request_method=\"POST\"";

    /// <summary>Opens and closes one UDP socket; returns the average wire size of its two events.</summary>
    private static async Task<int> MeasureEventAsync(UdpService.UdpServiceClient udp, EventReader reader)
    {
        int before = reader.Count;
        await ProduceAsync(udp, 1);
        var events = (await reader.WaitForAsync(before + 2, Timeout))[before..];
        return (int)events.Average(m => m.CalculateSize() + 5); // gRPC's 5-byte message prefix
    }

    /// <summary>Opens and closes <paramref name="pairs"/> UDP sockets, 8 at a time: two socket events each.</summary>
    private static async Task ProduceAsync(UdpService.UdpServiceClient udp, int pairs)
    {
        int next = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= pairs)
            {
                using var call = udp.Open(cancellationToken: Ct);
                await call.RequestStream.WriteAsync(new OpenRequest { Bind = new UdpBind { Port = 0 } }, Ct);
                Assert.True(await call.ResponseStream.MoveNext(Ct));
                await call.RequestStream.CompleteAsync();
                Assert.False(await call.ResponseStream.MoveNext(Ct));
            }
        }, Ct)));
    }

    private static async Task WaitForAsync(HttpClient http, MipServerProcess server, string family, double value, TimeSpan? timeout = null)
    {
        double? seen = null;
        for (var wait = Stopwatch.StartNew(); wait.Elapsed < (timeout ?? Timeout); await Task.Delay(20, Ct))
        {
            if ((seen = await ScrapeAsync(http, server, family)) == value)
            {
                return;
            }
        }
        Assert.Fail($"{family} is {seen}, not {value}");
    }

    /// <summary>The sum of a family's samples whose name and labels start with <paramref name="prefix"/>.</summary>
    private static async Task<double?> ScrapeAsync(HttpClient http, MipServerProcess server, string prefix)
    {
        string text = await http.GetStringAsync($"http://127.0.0.1:{server.MetricsPort}/metrics", Ct);
        double? sum = null;
        foreach (Match m in Regex.Matches(text, "(?m)^" + Regex.Escape(prefix) + @"[^ ]* (\S+)"))
        {
            sum = (sum ?? 0) + double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        return sum;
    }

    /// <summary>A watcher that reads everything: the snapshot, then live events into a list.</summary>
    private sealed class EventReader
    {
        private readonly List<WatchEventsResponse> _live = [];

        public int Count
        {
            get
            {
                lock (_live)
                {
                    return _live.Count;
                }
            }
        }

        /// <summary>How the call ended: null for status OK, else its error.</summary>
        public Task<RpcException?> Completion { get; private set; } = Task.FromResult<RpcException?>(null);

        public static async Task<EventReader> StartAsync(StackService.StackServiceClient client)
        {
            var reader = new EventReader();
            var call = client.WatchEvents(new WatchEventsRequest { Kinds = { EventKind.Socket } }, cancellationToken: Ct);
            do
            {
                Assert.True(await call.ResponseStream.MoveNext(Ct));
            }
            while (call.ResponseStream.Current.EventCase != WatchEventsResponse.EventOneofCase.SnapshotComplete);
            reader.Completion = Task.Run<RpcException?>(async () =>
            {
                using (call)
                {
                    try
                    {
                        while (await call.ResponseStream.MoveNext(Ct))
                        {
                            lock (reader._live)
                            {
                                reader._live.Add(call.ResponseStream.Current);
                            }
                        }
                        return null;
                    }
                    catch (RpcException ex)
                    {
                        return ex;
                    }
                }
            }, Ct);
            return reader;
        }

        /// <summary>Waits until at least <paramref name="count"/> live events arrived; returns them all.</summary>
        public async Task<List<WatchEventsResponse>> WaitForAsync(int count, TimeSpan timeout)
        {
            for (var wait = Stopwatch.StartNew(); ; await Task.Delay(10, Ct))
            {
                lock (_live)
                {
                    if (_live.Count >= count || wait.Elapsed > timeout)
                    {
                        Assert.True(_live.Count >= count, $"{_live.Count} events of {count}");
                        return [.. _live];
                    }
                }
            }
        }

        /// <summary>
        /// The last 2 × <paramref name="pairs"/> events open and close that many sockets: ids (given out on the loop,
        /// in the order the hub publishes) opened consecutively, each closed once after its open, nothing else.
        /// </summary>
        public static void AssertInOrder(List<WatchEventsResponse> live, int pairs)
        {
            Assert.Equal(2 * pairs, live.Count);
            var open = new HashSet<long>();
            long? previous = null;
            foreach (var m in live)
            {
                Assert.Equal(WatchEventsResponse.EventOneofCase.Socket, m.EventCase);
                long id = long.Parse(m.Socket.Socket.Id["udp-".Length..], CultureInfo.InvariantCulture);
                if (m.Socket.Kind == SocketEventKind.Opened)
                {
                    Assert.True(previous is null || id == previous + 1, $"udp-{id} opened after udp-{previous}");
                    previous = id;
                    open.Add(id);
                }
                else
                {
                    Assert.Equal(SocketEventKind.Closed, m.Socket.Kind);
                    Assert.True(open.Remove(id), $"udp-{id} closed but not open");
                }
            }
            Assert.Empty(open);
        }
    }
}
