using System.Threading.Channels;
using Grpc.Core;

namespace Mip.Client.Tests;

/// <summary>A scripted duplex call: tests push responses (or a failure) and read what the client wrote.</summary>
internal sealed class FakeDuplexCall<TRequest, TResponse>
{
    private readonly Channel<TResponse> _responses = Channel.CreateUnbounded<TResponse>();

    public FakeDuplexCall()
    {
        Call = new AsyncDuplexStreamingCall<TRequest, TResponse>(Requests, new Reader(_responses), Task.FromResult(new Metadata()),
            () => Status.DefaultSuccess, () => [], () => Disposed = true);
    }

    public AsyncDuplexStreamingCall<TRequest, TResponse> Call { get; }
    public Writer Requests { get; } = new();
    public bool Disposed { get; private set; }

    public void Respond(TResponse response) => _responses.Writer.TryWrite(response);

    public void End() => _responses.Writer.TryComplete();

    public void Fail(RpcException ex) => _responses.Writer.TryComplete(ex);

    internal sealed class Writer : IClientStreamWriter<TRequest>
    {
        public List<TRequest> Written { get; } = [];
        public bool Completed { get; private set; }
        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(TRequest message) => WriteAsync(message, CancellationToken.None);

        public Task WriteAsync(TRequest message, CancellationToken cancellationToken)
        {
            if (Completed)
            {
                throw new InvalidOperationException("write after complete");
            }
            Written.Add(message);
            return Task.CompletedTask;
        }

        public Task CompleteAsync()
        {
            Completed = true;
            return Task.CompletedTask;
        }
    }

    private sealed class Reader(Channel<TResponse> channel) : IAsyncStreamReader<TResponse>
    {
        public TResponse Current { get; private set; } = default!;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            try
            {
                if (!await channel.Reader.WaitToReadAsync(cancellationToken))
                {
                    return false;
                }
            }
            catch (ChannelClosedException ex) when (ex.InnerException is RpcException rpc)
            {
                throw rpc;
            }
            catch (RpcException)
            {
                throw;
            }
            Current = await channel.Reader.ReadAsync(cancellationToken);
            return true;
        }
    }
}
