using Mip.Server.Hosting;
using Mip.Stack;
using Mip.Stack.Iface;

namespace Mip.Server.Grpc;

/// <summary>
/// What the gRPC services share with the stack loop: the socket registry, the event hub, DNS and ping waiters, and
/// the sockets drained after each poll. Its <see cref="OnEvent"/> and <see cref="Poll"/> run on the loop thread, as do
/// the closures services post with <see cref="InvokeAsync{T}"/>; its collections are touched nowhere else.
/// </summary>
internal sealed partial class StackBridge
{
    private readonly TaskCompletionSource<StackLoop> _loop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<IPolledSocket> _polled = [];

    public StackBridge(MipOptions options, StackClock clock)
    {
        Events = new EventHub(clock);
        Sockets = new SocketRegistry(options.MaxSocketsPerClient, (socket, kind, error) => Events.OnSocketChanged(socket, kind, error, MonotonicClock.Now));
    }

    public SocketRegistry Sockets { get; }

    public EventHub Events { get; }

    public StackClock Clock => Events.Clock;

    /// <summary>Called once the loop exists (before it starts), so calls that arrive early wait for it.</summary>
    public void Attach(StackLoop loop, NetStack stack)
    {
        _stack = stack;
        loop.AddEventSink(OnEvent);
        loop.AddPollHook(Poll);
        _loop.TrySetResult(loop);
    }

    /// <summary>Runs <paramref name="action"/> on the loop thread; throws Unavailable once the stack is stopping.</summary>
    public async Task<T> InvokeAsync<T>(Func<NetStack, Instant, T> action, CancellationToken cancellationToken = default)
    {
        var loop = await _loop.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await loop.InvokeAsync(action, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            throw GrpcErrors.Create(global::Grpc.Core.StatusCode.Unavailable, "STACK_STOPPED", "the stack is shutting down");
        }
    }

    /// <summary>Adds a socket whose stack queue is drained after every poll (loop thread).</summary>
    public void AddPolled(IPolledSocket socket) => _polled.Add(socket);

    public void RemovePolled(IPolledSocket socket) => _polled.Remove(socket);

    private NetStack? _stack;

    private void OnEvent(StackEvent ev)
    {
        switch (ev)
        {
            case PingReplyReceived reply:
                DeliverPing(reply.Id, ev);
                break;
            case PingFailed failed:
                DeliverPing(failed.Id, ev);
                break;
            default:
                if (_stack is not null)
                {
                    Events.OnStackEvent(ev, _stack);
                }
                break;
        }
    }

    private void Poll(NetStack stack, Instant now)
    {
        _stack = stack;
        PollResolves(stack);
        PollTcp(stack, now);
        for (int i = _polled.Count - 1; i >= 0; i--)
        {
            _polled[i].Drain(now);
        }
    }
}
