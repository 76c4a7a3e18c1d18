using System.Threading.Channels;
using Google.Protobuf;
using Mip.Grpc.V1;
using Mip.Stack;
using Mip.Stack.Sockets;
using Mip.Stack.Wire;

namespace Mip.Server.Grpc;

/// <summary>
/// A stack <see cref="UdpSocket"/> carried by one UdpService.Open call. After every poll the loop moves received
/// datagrams into a bounded queue the call's writer reads; when the client reads too slowly the queue fills and
/// further datagrams are dropped and counted, as a kernel socket's receive buffer does.
/// </summary>
internal sealed class UdpServerSocket : ServerSocket, IPolledSocket, IDisposable
{
    public const int QueueCapacity = 1024;

    private readonly UdpSocket _socket;
    private readonly byte[] _buffer = new byte[UdpRepr.MaxPayloadLength];
    private readonly Channel<Datagram> _received = Channel.CreateBounded<Datagram>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        SingleWriter = true,
    });
    private readonly CancellationTokenSource _aborted = new();

    public UdpServerSocket(string id, string owner, UdpSocket socket) : base(id, owner) => _socket = socket;

    public override SocketProtocol Protocol => SocketProtocol.Udp;

    public override Ipv4Endpoint Local => _socket.LocalEndpoint;

    public UdpSocket Socket => _socket;

    public ChannelReader<Datagram> Received => _received.Reader;

    /// <summary>Datagrams dropped because the call's queue was full.</summary>
    public long DroppedDatagrams { get; private set; }

    /// <summary>Cancelled when the socket is closed from the server side (CloseSocket).</summary>
    public CancellationToken Aborted => _aborted.Token;

    public string? AbortReason { get; private set; }

    public bool IsClosed { get; private set; }

    public void Drain(Instant now)
    {
        while (_socket.TryReceiveFrom(_buffer, out int length, out var remote))
        {
            BytesReceived += length;
            var datagram = new Datagram { Remote = ToProto(remote), Payload = ByteString.CopyFrom(_buffer, 0, length) };
            if (!_received.Writer.TryWrite(datagram))
            {
                DroppedDatagrams++;
            }
        }
    }

    public override void Abort(string reason)
    {
        AbortReason ??= reason;
        _aborted.Cancel();
    }

    /// <summary>On the loop thread: closes the stack socket. Idempotent.</summary>
    public void Close()
    {
        if (IsClosed)
        {
            return;
        }
        IsClosed = true;
        _socket.Close();
        _received.Writer.TryComplete();
    }

    public void Dispose() => _aborted.Dispose();
}
