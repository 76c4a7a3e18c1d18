using Grpc.Core;
using Mip.Grpc.V1;
using Mip.Server.Grpc.Tcp;
using Mip.Stack.Iface;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Server.Grpc;

/// <summary>
/// mip.v1.TcpService: connections as bidirectional calls (<see cref="TcpStreamCarrier{TRequest,TResponse}"/> moves the
/// bytes) and listeners as server streams whose accepted connections are carried by Attach calls. Every stack
/// operation is a loop command; the socket closes with its call however the call ends.
/// </summary>
internal sealed class TcpGrpcService(StackBridge bridge) : TcpService.TcpServiceBase
{
    public override async Task Connect(IAsyncStreamReader<ConnectRequest> requestStream, IServerStreamWriter<ConnectResponse> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        if (!await requestStream.MoveNext(ct).ConfigureAwait(false) || requestStream.Current.FrameCase != ConnectRequest.FrameOneofCase.Open)
        {
            throw GrpcErrors.InvalidArgument("frame", "the first message must carry `open`");
        }
        var open = requestStream.Current.Open;
        TcpArguments.ValidateOpen(open);
        var options = TcpArguments.ToStack(open.Options, open.TimeoutMs);
        var address = await bridge.ResolveHostAsync(open.Host.Trim(), ct).ConfigureAwait(false);
        var remote = new Ipv4Endpoint(address, (ushort)open.Port);
        var socket = await bridge.InvokeAsync((stack, now) =>
        {
            bridge.Sockets.EnsureCapacity(context.Peer);
            TcpSocket tcp;
            try
            {
                tcp = stack.ConnectTcp(remote, now, options, (ushort)open.LocalPort);
            }
            catch (StackException ex)
            {
                throw GrpcErrors.FromStackError(ex.Error, ex.Message);
            }
            var s = new TcpServerSocket(bridge.Sockets.NewId("tcp"), context.Peer, tcp);
            bridge.AddTcp(s);
            return s;
        }, CancellationToken.None).ConfigureAwait(false); // not ct: a socket created while the call is cancelled would leak
        var carrier = new TcpStreamCarrier<ConnectRequest, ConnectResponse>(bridge, socket, requestStream, responseStream, TcpFrameCodecs.Connect);
        await carrier.RunAsync(context, waitForHandshake: true).ConfigureAwait(false);
    }

    public override async Task Listen(ListenRequest request, IServerStreamWriter<ListenResponse> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        TcpArguments.ValidateListen(request);
        var options = TcpArguments.ToStack(request.Options);
        var listener = await bridge.InvokeAsync((stack, _) =>
        {
            bridge.Sockets.EnsureCapacity(context.Peer);
            TcpListener tcp;
            try
            {
                if (stack.Ipv4 is null)
                {
                    throw new StackException(StackError.NotConfigured, "the stack has no IPv4 address yet (DHCP)");
                }
                tcp = stack.ListenTcp((ushort)request.Port, TcpArguments.Backlog(request), options);
            }
            catch (StackException ex)
            {
                throw GrpcErrors.FromStackError(ex.Error, ex.Message);
            }
            var s = new TcpListenerServerSocket(bridge.Sockets.NewId("tcp"), context.Peer, tcp, TcpArguments.AttachTimeout(request));
            bridge.AddTcpListener(s);
            return (Socket: s, Local: new Ipv4Endpoint(stack.Ipv4.Address, tcp.LocalEndpoint.Port));
        }, CancellationToken.None).ConfigureAwait(false); // not ct: a listener created while the call is cancelled would leak
        var socket = listener.Socket;
        using var call = CancellationTokenSource.CreateLinkedTokenSource(ct, socket.Aborted);
        try
        {
            await responseStream.WriteAsync(new ListenResponse { Listening = new Listening { Local = ServerSocket.ToProto(listener.Local) } }, call.Token).ConfigureAwait(false);
            await foreach (var accepted in socket.Accepted.ReadAllAsync(call.Token).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(new ListenResponse { Accepted = accepted }, call.Token).ConfigureAwait(false);
            }
            // The channel completes only when the listener closed from the server side.
            throw GrpcErrors.Create(StatusCode.Aborted, "SOCKET_CLOSED", $"listener {socket.Id} was {socket.AbortReason ?? "closed"}");
        }
        catch (OperationCanceledException) when (socket.AbortReason is { } reason && !ct.IsCancellationRequested)
        {
            throw GrpcErrors.Create(StatusCode.Aborted, "SOCKET_CLOSED", $"listener {socket.Id} was {reason}");
        }
        finally
        {
            await bridge.InvokeAsync((_, _) =>
            {
                bridge.RemoveTcpListener(socket);
                return true;
            }, CancellationToken.None).ConfigureAwait(false);
            socket.Dispose();
        }
    }

    public override async Task Attach(IAsyncStreamReader<AttachRequest> requestStream, IServerStreamWriter<AttachResponse> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        if (!await requestStream.MoveNext(ct).ConfigureAwait(false) || requestStream.Current.FrameCase != AttachRequest.FrameOneofCase.Attach)
        {
            throw GrpcErrors.InvalidArgument("frame", "the first message must carry `attach`");
        }
        string id = requestStream.Current.Attach.SocketId;
        if (string.IsNullOrWhiteSpace(id))
        {
            throw GrpcErrors.InvalidArgument("attach.socket_id", "required: the id from an `accepted` message");
        }
        var socket = await bridge.InvokeAsync((_, _) => bridge.ClaimUnattached(id), ct).ConfigureAwait(false)
            ?? throw GrpcErrors.Create(StatusCode.NotFound, "SOCKET_NOT_FOUND",
                $"no accepted connection {id} waits for Attach: it is attached already, was reset after the attach timeout, or never existed");
        var carrier = new TcpStreamCarrier<AttachRequest, AttachResponse>(bridge, socket, requestStream, responseStream, TcpFrameCodecs.Attach);
        await carrier.RunAsync(context, waitForHandshake: false).ConfigureAwait(false);
    }
}
