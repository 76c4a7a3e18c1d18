using System.Collections.Concurrent;
using Mip.Stack;
using Mip.Stack.Iface;

namespace Mip.Server.Hosting;

/// <summary>
/// Owns the <see cref="NetStack"/> on one dedicated thread: drain posted commands, poll the stack (which reads every
/// frame the device has ready), publish the stack's events, then sleep until the next frame, command or timer.
/// Other threads never touch the stack; they post closures with <see cref="InvokeAsync{T}"/>.
/// </summary>
internal sealed partial class StackLoop : IDisposable
{
    // The loop wakes at least this often even when idle, to notice link changes and stop requests.
    private static readonly TimeSpan MaxSleep = TimeSpan.FromMilliseconds(100);

    private readonly NetStack _stack;
    private readonly ILoopWaiter _waiter;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<Action<Instant>> _commands = new();
    private readonly List<Action<StackEvent>> _eventSinks = [];
    private readonly List<Action<NetStack, Instant>> _pollHooks = [];
    private readonly Thread _thread;
    private volatile bool _stopping;

    public StackLoop(NetStack stack, ILoopWaiter waiter, ILogger logger)
    {
        _stack = stack;
        _waiter = waiter;
        _logger = logger;
        _thread = new Thread(Run) { Name = "mip-stack", IsBackground = true };
    }

    /// <summary>Counts loop iterations; a figure for diagnosing busy loops.</summary>
    public long Iterations { get; private set; }

    /// <summary>Adds a sink that receives every stack event on the loop thread. Call before <see cref="Start"/>.</summary>
    public void AddEventSink(Action<StackEvent> sink) => _eventSinks.Add(sink);

    /// <summary>
    /// Adds work that runs on the loop thread after every poll (e.g. a service draining its socket). Call before
    /// <see cref="Start"/>.
    /// </summary>
    public void AddPollHook(Action<NetStack, Instant> hook) => _pollHooks.Add(hook);

    public void Start() => _thread.Start();

    /// <summary>Runs <paramref name="action"/> on the loop thread and returns its result.</summary>
    public Task<T> InvokeAsync<T>(Func<NetStack, Instant, T> action, CancellationToken cancellationToken = default)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_stopping)
        {
            tcs.SetException(new ObjectDisposedException(nameof(StackLoop)));
            return tcs.Task;
        }
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.Register(() => tcs.TrySetCanceled(cancellationToken))
            : default;
        _commands.Enqueue(now =>
        {
            if (tcs.Task.IsCompleted)
            {
                return;
            }
            try
            {
                tcs.TrySetResult(action(_stack, now));
            }
            catch (Exception ex)
            {
                tcs.TrySetException(ex);
            }
        });
        _waiter.Wake();
        return tcs.Task;
    }

    private void Run()
    {
        while (!_stopping)
        {
            Instant now = MonotonicClock.Now;
            try
            {
                if (!_commands.IsEmpty)
                {
                    while (_commands.TryDequeue(out var command))
                    {
                        command(now);
                    }
                    // Read the clock again so what arrives in this poll is not stamped with the instant a command
                    // sent its request at (a ping's RTT would read as zero).
                    now = MonotonicClock.Now;
                }
                _stack.Poll(now);
                while (_stack.TryDequeueEvent(out var ev))
                {
                    foreach (var sink in _eventSinks)
                    {
                        sink(ev);
                    }
                }
                foreach (var hook in _pollHooks)
                {
                    hook(_stack, now);
                }
            }
            catch (Exception ex)
            {
                // The stack counts and drops bad frames itself; reaching here is a bug. Keep serving, loudly.
                LogLoopFault(ex);
            }
            Iterations++;
            Instant after = MonotonicClock.Now;
            Instant next = _stack.NextPollAt(after);
            TimeSpan sleep = next <= after ? TimeSpan.Zero : next - after;
            if (sleep > MaxSleep)
            {
                sleep = MaxSleep;
            }
            if (_commands.IsEmpty && sleep > TimeSpan.Zero)
            {
                _waiter.Wait(sleep);
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _waiter.Wake();
        if (_thread.IsAlive)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }
        while (_commands.TryDequeue(out var command))
        {
            command(MonotonicClock.Now); // completes or fails pending callers; the stack is not polled any more
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "Stack loop fault (a bug: the stack must not throw)")]
    private partial void LogLoopFault(Exception ex);
}
