using System.Net;
using System.Threading.Channels;
using Grpc.Core;
using Mip.Grpc.V1;

namespace Mip.Client;

/// <summary>
/// A TCP listener on the remote stack, like <see cref="System.Net.Sockets.TcpListener"/>: <see cref="AcceptAsync"/>
/// returns each incoming connection as a <see cref="MipTcpStream"/>. Disposing stops listening; connections already
/// accepted stay open.
/// </summary>
public sealed class MipTcpListener : IAsyncDisposable, IDisposable
{
    private readonly TcpService.TcpServiceClient _client;
    private readonly AsyncServerStreamingCall<ListenResponse> _call;
    private readonly CancellationTokenSource _lifetime;
    // Accepted connections read off the Listen stream by one pump, so that cancelling one AcceptAsync does not
    // cancel the Listen call itself (a token passed to MoveNext would).
    private readonly Channel<AcceptedConnection> _accepted = Channel.CreateBounded<AcceptedConnection>(new BoundedChannelOptions(16) { SingleWriter = true });
    private readonly Task _pump;

    internal MipTcpListener(TcpService.TcpServiceClient client, AsyncServerStreamingCall<ListenResponse> call,
        CancellationTokenSource lifetime, IPEndPoint localEndPoint)
    {
        _client = client;
        _call = call;
        _lifetime = lifetime;
        LocalEndPoint = localEndPoint;
        _pump = ResponsePump.RunAsync(call.ResponseStream,
            r => r.Accepted is { } a ? new AcceptedConnection(a) : (AcceptedConnection?)null, _accepted.Writer, lifetime.Token);
    }

    /// <summary>The endpoint the stack listens on (the port is the ephemeral one chosen when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Waits for the next connection and attaches a stream to it.</summary>
    public async Task<MipTcpStream> AcceptAsync(CancellationToken cancellationToken = default)
    {
        Accepted accepted;
        try
        {
            accepted = (await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false)).Message;
        }
        catch (ChannelClosedException ex) when (ex.InnerException is RpcException rpc)
        {
            throw MipSocketException.FromRpc(rpc);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(MipTcpListener), "The listener was closed.");
        }
        return await AttachAsync(accepted, cancellationToken).ConfigureAwait(false);
    }

    private async Task<MipTcpStream> AttachAsync(Accepted accepted, CancellationToken cancellationToken)
    {
        var call = _client.Attach(cancellationToken: CancellationToken.None);
        try
        {
            await call.RequestStream.WriteAsync(new AttachRequest { Attach = new AttachOpen { SocketId = accepted.SocketId } }, cancellationToken).ConfigureAwait(false);
            if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false) || call.ResponseStream.Current.Attached is not { } attached)
            {
                throw new MipSocketException(System.Net.Sockets.SocketError.ConnectionAborted, "ATTACH_FAILED",
                    $"the server did not attach connection {accepted.SocketId}");
            }
            return new MipTcpStream(TcpFrameChannels.ForAttach(call), attached.SocketId, attached.Local.ToIPEndPoint(), attached.Remote.ToIPEndPoint());
        }
        catch (RpcException ex)
        {
            call.Dispose();
            throw MipSocketException.FromRpc(ex);
        }
        catch
        {
            call.Dispose();
            throw;
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
        _accepted.Writer.TryComplete();
    }
}

/// <summary>An accepted-connection message as a value, for the pump's channel.</summary>
internal readonly record struct AcceptedConnection(Accepted Message);
