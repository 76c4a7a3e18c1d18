using Mip.Server.Demo;
using Mip.Stack;
using Mip.Stack.Iface;
using Mip.Stack.Phy;

namespace Mip.Server.Hosting;

/// <summary>Starts the stack loop with the host and stops it (and releases the device) with the host.</summary>
internal sealed partial class StackHostedService(
    INetworkDevice device,
    StackOptions stackOptions,
    ILoopWaiter waiter,
    StackEventLogger eventLogger,
    DemoServices demo,
    HttpDemoServer http,
    ILogger<StackHostedService> logger) : IHostedService, IDisposable
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
        if (http.Options.Port != 0)
        {
            _loop.AddPollHook(http.Poll);
        }
        LogStarting(stackOptions.Mac.ToString(), stackOptions.StaticIpv4?.ToString() ?? "DHCP");
        _loop.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _loop?.Dispose();
        _loop = null;
        return Task.CompletedTask;
    }

    public void Dispose() => _loop?.Dispose();

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Stack starting: MAC {Mac}, IPv4 {Ipv4}")]
    private partial void LogStarting(string mac, string ipv4);
}
