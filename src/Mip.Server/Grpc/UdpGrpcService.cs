using Grpc.Core;
using Mip.Grpc.V1;
using Mip.Stack.Iface;
using Mip.Stack.Wire;

namespace Mip.Server.Grpc;

/// <summary>
/// mip.v1.UdpService: one bidirectional call per socket. A reader loop sends the client's datagrams through the
/// stack, a writer loop streams received ones back; the socket closes with the call, however it ends (completion,
/// cancellation, deadline, or the client's connection dropping).
/// </summary>
internal sealed partial class UdpGrpcService(StackBridge bridge) : UdpService.UdpServiceBase
{
    public override async Task Open(IAsyncStreamReader<OpenRequest> requestStream, IServerStreamWriter<OpenResponse> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        if (!await requestStream.MoveNext(ct).ConfigureAwait(false) || requestStream.Current.FrameCase != OpenRequest.FrameOneofCase.Bind)
        {
            throw GrpcErrors.InvalidArgument("frame", "the first message must carry `bind`");
        }
        var bind = requestStream.Current.Bind;
        if (bind.Port > ushort.MaxValue)
        {
            throw GrpcErrors.InvalidArgument("bind.port", $"must be 0 (ephemeral) or 1-65535, got {bind.Port}");
        }
        var socket = await bridge.InvokeAsync((stack, _) =>
        {
            bridge.Sockets.EnsureCapacity(context.Peer);
            UdpServerSocket s;
            try
            {
                var udp = stack.OpenUdp((ushort)bind.Port);
                udp.Broadcast = bind.Broadcast;
                s = new UdpServerSocket(bridge.Sockets.NewId("udp"), context.Peer, udp);
            }
            catch (StackException ex)
            {
                throw GrpcErrors.FromStackError(ex.Error, ex.Message);
            }
            bridge.Sockets.Add(s);
            bridge.AddPolled(s);
            return s;
        }, ct).ConfigureAwait(false);

        using var call = CancellationTokenSource.CreateLinkedTokenSource(ct, socket.Aborted);
        try
        {
            var bound = new UdpBound { SocketId = socket.Id, Local = ServerSocket.ToProto(await bridge.InvokeAsync((_, _) => socket.Local, ct).ConfigureAwait(false)) };
            await responseStream.WriteAsync(new OpenResponse { Bound = bound }, ct).ConfigureAwait(false);
            var writer = WriteReceivedAsync(socket, responseStream, call.Token);
            var reader = SendRequestedAsync(socket, requestStream, call.Token);
            // UDP has no end of stream: the socket lives while the client keeps its request stream open. A half-close
            // ends the call (and closes the socket) once the datagrams before it were sent.
            var first = await Task.WhenAny(reader, writer).ConfigureAwait(false);
            await call.CancelAsync().ConfigureAwait(false);
            await first.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (socket.AbortReason is { } reason && !ct.IsCancellationRequested)
        {
            throw GrpcErrors.Create(StatusCode.Aborted, "SOCKET_CLOSED", $"socket {socket.Id} was {reason}");
        }
        finally
        {
            // Not the call's token: it is cancelled already when the client vanished, and the socket must close anyway.
            await bridge.InvokeAsync((_, _) =>
            {
                bridge.RemovePolled(socket);
                // Like TCP sockets: a socket closed by CloseSocket or a shutdown says why in its Closed event.
                bridge.Sockets.Remove(socket, socket.AbortReason ?? "");
                socket.Close();
                return true;
            }, CancellationToken.None).ConfigureAwait(false);
            socket.Dispose();
        }
    }

    private async Task SendRequestedAsync(UdpServerSocket socket, IAsyncStreamReader<OpenRequest> requests, CancellationToken ct)
    {
        while (await requests.MoveNext(ct).ConfigureAwait(false))
        {
            var request = requests.Current;
            if (request.FrameCase != OpenRequest.FrameOneofCase.Datagram)
            {
                throw GrpcErrors.InvalidArgument("frame", "after `bind`, every message must carry `datagram`");
            }
            var datagram = request.Datagram;
            var violations = new List<FieldViolation>();
            if (datagram.Remote is null || string.IsNullOrWhiteSpace(datagram.Remote.Address))
            {
                violations.Add(new FieldViolation("datagram.remote.address", "required: an IPv4 address or a DNS name"));
            }
            if (datagram.Remote is null || datagram.Remote.Port is 0 or > ushort.MaxValue)
            {
                violations.Add(new FieldViolation("datagram.remote.port", $"must be 1-65535, got {datagram.Remote?.Port ?? 0}"));
            }
            if (datagram.Payload.Length > UdpRepr.MaxPayloadLength)
            {
                violations.Add(new FieldViolation("datagram.payload", $"at most {UdpRepr.MaxPayloadLength} bytes, got {datagram.Payload.Length}"));
            }
            if (violations.Count > 0)
            {
                throw GrpcErrors.InvalidArgument(violations);
            }
            var address = await bridge.ResolveHostAsync(datagram.Remote!.Address.Trim(), ct).ConfigureAwait(false);
            var remote = new Ipv4Endpoint(address, (ushort)datagram.Remote.Port);
            var error = await bridge.InvokeAsync((_, now) =>
            {
                if (!socket.Socket.TrySendTo(datagram.Payload.Span, remote, now, out var e))
                {
                    return e;
                }
                socket.BytesSent += datagram.Payload.Length;
                return StackError.None;
            }, ct).ConfigureAwait(false);
            // Losses UDP itself allows (a full ARP queue, a refused frame, a down link) drop the datagram as a kernel
            // does; errors that will recur for every datagram end the call so the client learns why.
            if (error is not (StackError.None or StackError.ArpQueueFull or StackError.DeviceRefused or StackError.LinkDown))
            {
                throw GrpcErrors.FromStackError(error, $"cannot send to {remote}: {error}");
            }
        }
    }

    private static async Task WriteReceivedAsync(UdpServerSocket socket, IServerStreamWriter<OpenResponse> responses, CancellationToken ct)
    {
        await foreach (var datagram in socket.Received.ReadAllAsync(ct).ConfigureAwait(false))
        {
            await responses.WriteAsync(new OpenResponse { Datagram = datagram }, ct).ConfigureAwait(false);
        }
    }
}
