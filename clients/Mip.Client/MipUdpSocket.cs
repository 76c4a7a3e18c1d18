using System.Net;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using Mip.Grpc.V1;

namespace Mip.Client;

/// <summary>
/// A UDP socket on the remote stack, like <see cref="System.Net.Sockets.UdpClient"/>: <c>SendToAsync</c> and
/// <see cref="ReceiveFromAsync"/>. Datagrams the client does not read in time are dropped by the server (UDP has no
/// flow control). Disposing closes the socket.
/// </summary>
public sealed class MipUdpSocket : IAsyncDisposable, IDisposable
{
    private readonly AsyncDuplexStreamingCall<OpenRequest, OpenResponse> _call;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Channel<MipDatagram> _received = Channel.CreateBounded<MipDatagram>(
        new BoundedChannelOptions(256) { SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Task _pump;

    internal MipUdpSocket(AsyncDuplexStreamingCall<OpenRequest, OpenResponse> call, string socketId, IPEndPoint localEndPoint)
    {
        _call = call;
        SocketId = socketId;
        LocalEndPoint = localEndPoint;
        _pump = ResponsePump.RunAsync(call.ResponseStream,
            r => r.Datagram is { } d ? new MipDatagram(d.Payload.Memory, d.Remote.ToIPEndPoint()) : (MipDatagram?)null,
            _received.Writer, _lifetime.Token);
    }

    /// <summary>The stack's id for this socket.</summary>
    public string SocketId { get; }

    /// <summary>The local endpoint on the stack.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Sends one datagram; <paramref name="host"/> may be an address or a DNS name the stack resolves.</summary>
    public async Task SendToAsync(ReadOnlyMemory<byte> payload, string host, int port, CancellationToken cancellationToken = default)
    {
        var request = new OpenRequest
        {
            Datagram = new Datagram { Remote = Endpoints.ToEndpoint(host, port), Payload = ByteString.CopyFrom(payload.Span) },
        };
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
            await _call.RequestStream.WriteAsync(request, linked.Token).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw MipSocketException.FromRpc(ex);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends one datagram to <paramref name="remote"/>.</summary>
    public Task SendToAsync(ReadOnlyMemory<byte> payload, IPEndPoint remote, CancellationToken cancellationToken = default) =>
        SendToAsync(payload, remote.Address.ToString(), remote.Port, cancellationToken);

    /// <summary>Waits for the next datagram.</summary>
    public async ValueTask<MipDatagram> ReceiveFromAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _received.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex) when (ex.InnerException is RpcException rpc)
        {
            throw MipSocketException.FromRpc(rpc);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(MipUdpSocket), "The socket was closed.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _lifetime.Cancel();
        await _pump.ConfigureAwait(false);
        Dispose();
    }

    public void Dispose()
    {
        _lifetime.Cancel();
        _call.Dispose();
        _received.Writer.TryComplete();
    }
}
