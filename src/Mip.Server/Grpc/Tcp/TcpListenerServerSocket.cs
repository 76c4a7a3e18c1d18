using System.Threading.Channels;
using Mip.Grpc.V1;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Server.Grpc.Tcp;

/// <summary>
/// A stack <see cref="TcpListener"/> carried by one Listen call. The loop accepts connections into unattached
/// <see cref="TcpServerSocket"/>s and queues one <see cref="Accepted"/> per connection for the call to stream; the
/// queue holds at most as many entries as the owner may hold sockets, since each entry is a registered socket.
/// </summary>
internal sealed class TcpListenerServerSocket(string id, string owner, TcpListener listener, TimeSpan attachTimeout) : ServerSocket(id, owner), IDisposable
{
    private readonly Channel<Accepted> _accepted = Channel.CreateUnbounded<Accepted>(new UnboundedChannelOptions
    {
        SingleReader = true,
        SingleWriter = true,
    });
    private readonly CancellationTokenSource _aborted = new();
    private readonly Ipv4Endpoint _local = listener.LocalEndpoint;

    public override SocketProtocol Protocol => SocketProtocol.TcpListener;

    public override Ipv4Endpoint Local => _local;

    public override string State => listener.IsClosed ? "Closed" : "Listen";

    public TcpListener Listener => listener;

    public TimeSpan AttachTimeout => attachTimeout;

    public ChannelReader<Accepted> Accepted => _accepted.Reader;

    public CancellationToken Aborted => _aborted.Token;

    public string? AbortReason { get; private set; }

    /// <summary>Connections reset because the owner held too many sockets.</summary>
    public long Refused { get; set; }

    /// <summary>Loop: queues the news of an accepted connection.</summary>
    public void Publish(TcpServerSocket socket) => _accepted.Writer.TryWrite(new Accepted
    {
        SocketId = socket.Id,
        Local = ToProto(socket.Local),
        Remote = ToProto(socket.Remote!.Value),
    });

    public override void Abort(string reason)
    {
        AbortReason ??= reason;
        Close();
        _aborted.Cancel();
    }

    /// <summary>Loop: stops listening (connections not yet accepted by the stack are reset). Idempotent.</summary>
    public void Close()
    {
        listener.Close();
        _accepted.Writer.TryComplete();
    }

    public void Dispose() => _aborted.Dispose();
}
