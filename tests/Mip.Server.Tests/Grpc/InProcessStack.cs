using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Mip.Server.Grpc;
using Mip.Server.Hosting;
using Mip.Stack.Iface;
using Mip.Stack.Phy;
using Mip.Stack.Wire;

namespace Mip.Server.Tests.Grpc;

/// <summary>
/// The server's stack side without Kestrel or pcap: a <see cref="StackLoop"/> on its own thread over an in-memory
/// cable nobody answers on (frames the stack sends are queued and dropped there), with the <see cref="StackBridge"/>
/// the gRPC services use. Services are called directly with <see cref="TestCallContext"/>.
/// </summary>
internal sealed class InProcessStack : IDisposable
{
    private readonly InMemoryLink _link = new(1500, 64);
    private readonly SignalWaiter _waiter = new();

    public InProcessStack(MipOptions? options = null)
    {
        Options = options ?? new MipOptions();
        var stack = new NetStack(_link.A, new StackOptions
        {
            Mac = MacAddress.Parse("02:00:00:00:00:0a"),
            StaticIpv4 = new(Ipv4Address.Parse("192.168.2.10"), Ipv4Address.MaskFromPrefix(24), Ipv4Address.Any, []),
        }, new Random(1), MonotonicClock.Now);
        Bridge = new StackBridge(Options, StackClock.FromMonotonic());
        Loop = new StackLoop(stack, _waiter, NullLogger.Instance);
        Bridge.Attach(Loop, stack);
        Loop.Start();
    }

    public MipOptions Options { get; }

    public StackBridge Bridge { get; }

    public StackLoop Loop { get; }

    public StackGrpcService StackService() => new(Bridge, Options, _link.A);

    public void Dispose()
    {
        Loop.Dispose();
        _waiter.Dispose();
    }

    /// <summary>Sleeps until woken or the timeout passes: what the pcap waiter does, minus the capture descriptor.</summary>
    private sealed class SignalWaiter : ILoopWaiter, IDisposable
    {
        private readonly SemaphoreSlim _signal = new(0, 1);

        public void Wait(TimeSpan timeout) => _signal.Wait(timeout);

        public void Wake()
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
            catch (ObjectDisposedException)
            {
                // A call's cleanup raced the test's dispose: the loop is gone anyway.
            }
        }

        public void Dispose() => _signal.Dispose();
    }
}

/// <summary>A server call context for calling a service method directly: a peer, a cancellation token, nothing else.</summary>
internal sealed class TestCallContext(string peer, CancellationToken cancellationToken) : ServerCallContext
{
    protected override string MethodCore => "test";
    protected override string HostCore => "localhost";
    protected override string PeerCore => peer;
    protected override DateTime DeadlineCore => DateTime.MaxValue;
    protected override Metadata RequestHeadersCore { get; } = [];
    protected override CancellationToken CancellationTokenCore => cancellationToken;
    protected override Metadata ResponseTrailersCore { get; } = [];
    protected override Status StatusCore { get; set; }
    protected override WriteOptions? WriteOptionsCore { get; set; }
    protected override AuthContext AuthContextCore => new(null, []);

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}

/// <summary>
/// A response stream the test reads from a channel. While <see cref="Gate"/> is not completed every write waits for it,
/// as a write waits for HTTP/2 flow control when the client does not read.
/// </summary>
internal sealed class TestResponseStream<T> : IServerStreamWriter<T>
{
    private readonly System.Threading.Channels.Channel<T> _written = System.Threading.Channels.Channel.CreateUnbounded<T>();

    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the service first tried to write.</summary>
    public TaskCompletionSource FirstWrite { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public System.Threading.Channels.ChannelReader<T> Written => _written.Reader;

    public WriteOptions? WriteOptions { get; set; }

    public static TestResponseStream<T> Open()
    {
        var stream = new TestResponseStream<T>();
        stream.Gate.SetResult();
        return stream;
    }

    public Task WriteAsync(T message) => WriteAsync(message, CancellationToken.None);

    public async Task WriteAsync(T message, CancellationToken cancellationToken)
    {
        FirstWrite.TrySetResult();
        await Gate.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        _written.Writer.TryWrite(message);
    }
}
