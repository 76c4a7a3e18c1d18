using Mip.Server.Demo;
using Mip.Server.Grpc;
using Mip.Server.Grpc.Capture;
using Mip.Server.Metrics;
using Mip.Stack;
using Mip.Stack.Iface;
using Mip.Stack.Phy;

namespace Mip.Server.Hosting;

/// <summary>
/// Starts the stack loop with the host and stops it (and releases the device) with the host. Plugs in the event
/// logger, the demo services, the gRPC bridge and the metrics publisher before the loop starts. Ends the event watches
/// and aborts the gRPC-held sockets as shutdown begins (<see cref="StoppingAsync"/>): the host stops Kestrel before
/// this service, and Kestrel waits for every call in flight, so a call still open then would hold the exit for
/// Kestrel's whole shutdown timeout.
/// </summary>
internal sealed partial class StackHostedService(
    INetworkDevice device,
    StackOptions stackOptions,
    ILoopWaiter waiter,
    StackEventLogger eventLogger,
    DemoServices demo,
    StackBridge bridge,
    CountersPublisher counters,
    HttpDemoServer http,
    CaptureTap capture,
    ILogger<StackHostedService> logger) : IHostedLifecycleService, IDisposable
{
    private StackLoop? _loop;

    public NetStack? Stack { get; private set; }

    public StackLoop Loop => _loop ?? throw new InvalidOperationException("the stack is not started");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var stack = new NetStack(device, stackOptions, new Random(), MonotonicClock.Now);
        Stack = stack;
        _loop = new StackLoop(stack, waiter, logger);
        _loop.AddEventSink(eventLogger.OnEvent);
        _loop.AddEventSink(ev => demo.OnEvent(stack, ev, ev.At));
        _loop.AddPollHook(demo.Poll);
        _loop.AddPollHook(counters.Poll);
        bridge.Attach(_loop, stack);
        if (http.Options.Port != 0)
        {
            _loop.AddPollHook(http.Poll);
        }
        LogStarting(stackOptions.Mac.ToString(), stackOptions.StaticIpv4?.ToString() ?? "DHCP");
        _loop.Start();
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Before any service stops: ends the watches and aborts the sockets so their calls complete while Kestrel drains.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (_loop is { } loop)
        {
            try
            {
                await loop.InvokeAsync((_, _) =>
                {
                    bridge.Events.CloseAll();
                    // Sockets too: each call carrying one ends with Aborted/SOCKET_CLOSED and says why, instead of
                    // holding the exit until Kestrel's shutdown timeout (30 s) cancels it.
                    foreach (var socket in bridge.Sockets.All.ToList())
                    {
                        socket.Abort("closed: the server is shutting down");
                    }
                    // Captures end normally: a `mipctl capture | tshark -r -` reads a complete file.
                    capture.CompleteAll();
                    return true;
                }, cancellationToken).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
                await DrainAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>
    /// Waits (at most 2 s) until the aborted calls have let go of their sockets, then a moment more. Kestrel closes a
    /// connection as soon as its last stream ended, and a client whose call still had its request side open treats
    /// the closed connection as aborting the call unless it has already read the status: the pause lets clients
    /// read the status they were sent (SOCKET_CLOSED, "the server is shutting down") instead of a transport error.
    /// </summary>
    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        var deadline = MonotonicClock.Now + TimeSpan.FromSeconds(2);
        while (Enum.GetValues<Mip.Grpc.V1.SocketProtocol>().Sum(bridge.Sockets.OpenCount) > 0 && MonotonicClock.Now < deadline)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
        await Task.Delay(ClientDrainPause, cancellationToken).ConfigureAwait(false);
    }

    private static readonly TimeSpan ClientDrainPause = TimeSpan.FromMilliseconds(250);

    /// <summary>After Kestrel stopped (its calls ended, or were aborted at its timeout): the loop and every socket go.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        _loop?.Dispose();
        _loop = null;
        return Task.CompletedTask;
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _loop?.Dispose();

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Stack starting: MAC {Mac}, IPv4 {Ipv4}")]
    private partial void LogStarting(string mac, string ipv4);
}
