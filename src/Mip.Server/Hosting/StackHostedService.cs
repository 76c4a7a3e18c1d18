using Mip.Server.Demo;
using Mip.Server.Grpc;
using Mip.Server.Metrics;
using Mip.Stack;
using Mip.Stack.Iface;
using Mip.Stack.Phy;

namespace Mip.Server.Hosting;

/// <summary>
/// Starts the stack loop with the host and stops it (and releases the device) with the host. Plugs in the event
/// logger, the demo services, the gRPC bridge and the metrics publisher before the loop starts. Ends the event watches
/// as shutdown begins (<see cref="StoppingAsync"/>): the host stops Kestrel before this service, and Kestrel waits for
/// every call in flight, so a watch still open then would hold the exit for Kestrel's whole shutdown timeout.
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

    /// <summary>Before any service stops: ends the watches so their calls complete while Kestrel drains.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (_loop is { } loop)
        {
            try
            {
                await loop.InvokeAsync((_, _) =>
                {
                    bridge.Events.CloseAll();
                    return true;
                }, cancellationToken).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

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
