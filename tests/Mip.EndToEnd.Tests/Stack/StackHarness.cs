using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Mip.EndToEnd.Tests.Lab;
using Mip.Server.Hosting;
using Mip.Stack;
using Mip.Stack.Iface;
using Mip.Stack.Pcap;
using Mip.Stack.Phy;
using Mip.Stack.Wire;

namespace Mip.EndToEnd.Tests.Stack;

/// <summary>
/// The real thing under test: a <see cref="NetStack"/> on a <see cref="PcapDevice"/> opened on my0 inside a lab's
/// stack namespace, driven by the server's own <see cref="StackLoop"/> on its own thread. Tests post work with
/// <see cref="InvokeAsync{T}"/> and wait for events; every wait is bounded.
/// </summary>
internal sealed class StackHarness : IDisposable
{
    private readonly BlockingCollection<StackEvent> _events = new(new ConcurrentQueue<StackEvent>());
    private readonly List<StackEvent> _seen = [];
    private readonly PcapLoopWaiter _waiter;
    private readonly StackLoop _loop;

    public StackHarness(
        LabNetwork lab,
        StackOptions options,
        Func<INetworkDevice, INetworkDevice>? wrap = null,
        Action<NetStack, Instant>? onPoll = null)
    {
        Pcap = PcapDevice.Open(new PcapDeviceOptions { Interface = LabNetwork.StackInterface, Namespace = lab.StackNamespace });
        Options = options;
        INetworkDevice device = wrap is null ? Pcap : wrap(Pcap);
        Stack = new NetStack(device, options, new Random(1234), MonotonicClock.Now);
        _waiter = new PcapLoopWaiter(Pcap);
        _loop = new StackLoop(Stack, _waiter, NullLogger.Instance);
        _loop.AddEventSink(_events.Add);
        if (onPoll is not null)
        {
            _loop.AddPollHook(onPoll);
        }
        _loop.Start();
    }

    /// <summary>What mip-server would run with on my0: derived MAC, DHCP with the server's lab timings.</summary>
    public static StackOptions ServerDefaults(Func<MipOptions, MipOptions>? customize = null)
    {
        var options = new MipOptions { Interface = LabNetwork.StackInterface };
        return StackConfiguration.Build(customize is null ? options : customize(options));
    }

    public PcapDevice Pcap { get; }
    public StackOptions Options { get; }

    /// <summary>Touch only inside <see cref="InvokeAsync{T}"/> callbacks: the loop thread owns it.</summary>
    public NetStack Stack { get; }

    public Task<T> InvokeAsync<T>(Func<NetStack, Instant, T> action) => _loop.InvokeAsync(action);

    public T Invoke<T>(Func<NetStack, Instant, T> action) => InvokeAsync(action).WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();

    /// <summary>Waits for the first event (seen before or arriving later) that matches.</summary>
    public T WaitForEvent<T>(Func<T, bool>? match, TimeSpan timeout) where T : StackEvent
    {
        match ??= _ => true;
        foreach (var seen in _seen)
        {
            if (seen is T t && match(t))
            {
                return t;
            }
        }
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !_events.TryTake(out var ev, left))
            {
                throw new TimeoutException($"no {typeof(T).Name} within {timeout}; events so far: {string.Join("; ", _seen)}");
            }
            _seen.Add(ev);
            if (ev is T t && match(t))
            {
                return t;
            }
        }
    }

    /// <summary>Waits until the interface has an IPv4 address.</summary>
    public Ipv4Config WaitForAddress(TimeSpan timeout) => WaitForEvent<Ipv4Changed>(e => e.New is not null, timeout).New!;

    /// <summary>Polls <paramref name="condition"/> on the loop thread until it holds.</summary>
    public void WaitUntil(Func<NetStack, Instant, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Invoke(condition))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {timeout} waiting for {what}");
            }
            Thread.Sleep(5);
        }
    }

    public void Dispose()
    {
        _loop.Dispose();
        _waiter.Dispose();
        Pcap.Dispose();
        _events.Dispose();
    }
}
