using System.Buffers;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using Mip.Grpc.V1;

namespace Mip.Server.Grpc.Tcp;

/// <summary>
/// Carries one connection over one bidirectional call, whatever its message types (Connect or Attach): a reader loop
/// writes the client's bytes into the TCP send buffer, waiting for the stack to report the socket writable when it is
/// full (so the server stops reading the request stream and HTTP/2 flow control holds the client back); a writer loop
/// streams received bytes back as fast as the response stream drains. The call ends OK once the client half-closed
/// and the peer's FIN was delivered, or at once when the client sends <c>close</c> (the stack then finishes the close
/// on its own, as a kernel does for a closed socket); any other end resets the connection.
/// </summary>
internal sealed class TcpStreamCarrier<TRequest, TResponse>(
    StackBridge bridge,
    TcpServerSocket socket,
    IAsyncStreamReader<TRequest> requests,
    IServerStreamWriter<TResponse> responses,
    TcpFrameCodec<TRequest, TResponse> codec)
    where TRequest : class
    where TResponse : class
{
    /// <summary>Chunks smaller than this are merged with those queued behind them into one message.</summary>
    private const int CoalesceBelowBytes = 16 * 1024;

    public async Task RunAsync(ServerCallContext context, bool waitForHandshake)
    {
        var ct = context.CancellationToken;
        using var call = CancellationTokenSource.CreateLinkedTokenSource(ct, socket.Aborted);
        bool graceful = false;
        try
        {
            if (waitForHandshake)
            {
                await socket.Established.WaitAsync(call.Token).ConfigureAwait(false);
            }
            var connected = new Connected
            {
                SocketId = socket.Id,
                Local = ServerSocket.ToProto(socket.Local),
                Remote = ServerSocket.ToProto(socket.Remote!.Value),
            };
            await responses.WriteAsync(codec.Connected(connected), call.Token).ConfigureAwait(false);
            var writer = WriteReceivedAsync(call.Token);
            var reader = SendRequestedAsync(writer, call.Token);
            var first = await Task.WhenAny(reader, writer).ConfigureAwait(false);
            if (first == reader && reader.IsCompletedSuccessfully && reader.Result)
            {
                // `close`: the call ends now, without waiting for the peer; the graceful release below hands the
                // socket to the stack, which sends FIN after the queued bytes and finishes the close on its own.
                await call.CancelAsync().ConfigureAwait(false);
                await StopAsync(writer).ConfigureAwait(false);
                graceful = true;
                return;
            }
            var second = first == reader ? writer : reader;
            if (!first.IsCompletedSuccessfully)
            {
                await call.CancelAsync().ConfigureAwait(false);
                _ = second.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            }
            await first.ConfigureAwait(false);
            await second.ConfigureAwait(false);
            graceful = true;
            if (_pendingRead is { } pending)
            {
                // Half-closed both ways: the read that waited for a possible `close` is no longer needed.
                await call.CancelAsync().ConfigureAwait(false);
                await StopAsync(pending).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (socket.AbortReason is { } reason && !ct.IsCancellationRequested)
        {
            throw GrpcErrors.Create(StatusCode.Aborted, "SOCKET_CLOSED", $"socket {socket.Id} was {reason}");
        }
        catch (ChannelClosedException ex) when (ex.InnerException is RpcException status)
        {
            throw status;
        }
        finally
        {
            _ = _pendingRead?.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            // Not the call's token: it is cancelled already when the client vanished, and the socket must close anyway.
            // A call that did not end gracefully (cancelled, deadline, error, client gone) resets the connection.
            await bridge.InvokeAsync((_, _) =>
            {
                bridge.RemoveTcp(socket, graceful);
                return true;
            }, CancellationToken.None).ConfigureAwait(false);
            socket.Dispose();
        }
    }

    /// <summary>A request read still pending when the call ended gracefully (see <see cref="SendRequestedAsync"/>).</summary>
    private Task<bool>? _pendingRead;

    /// <summary>
    /// Copies the client's bytes into the send buffer. True when the client sent <c>close</c>; false when its request
    /// stream ended (which half-closes the connection if <c>shutdown_send</c> did not already), or when the client had
    /// half-closed and <paramref name="writer"/> delivered the peer's end of stream: both directions are finished, so
    /// the call may end without the client also ending its request stream.
    /// </summary>
    private async Task<bool> SendRequestedAsync(Task writer, CancellationToken ct)
    {
        bool shutDown = false;
        while (true)
        {
            var next = requests.MoveNext(ct);
            if (shutDown && await Task.WhenAny(next, writer).ConfigureAwait(false) == writer && !next.IsCompleted)
            {
                _pendingRead = next;
                return false;
            }
            if (!await next.ConfigureAwait(false))
            {
                break;
            }
            var frame = codec.Decode(requests.Current);
            if (frame.Close)
            {
                return true;
            }
            if (frame.Shutdown)
            {
                if (!shutDown)
                {
                    shutDown = true;
                    await ShutdownAsync(ct).ConfigureAwait(false);
                }
                continue;
            }
            if (frame.Data is not { } data)
            {
                throw GrpcErrors.InvalidArgument("frame", "after the first message, every message must carry `data`, `shutdown_send` or `close`");
            }
            int offset = 0;
            while (offset < data.Length)
            {
                int start = offset;
                // After shutdown_send this throws FailedPrecondition SEND_SHUT_DOWN, as send(2) fails with EPIPE.
                var (sent, writable) = await bridge.InvokeAsync((_, _) =>
                {
                    int n = socket.Send(data.Span[start..], out var w);
                    return (n, w);
                }, ct).ConfigureAwait(false);
                offset += sent;
                if (writable is not null)
                {
                    await writable.WaitAsync(ct).ConfigureAwait(false);
                }
            }
        }
        // The request stream ended without a shutdown_send before it: FIN after the bytes already queued.
        if (!shutDown)
        {
            await ShutdownAsync(ct).ConfigureAwait(false);
        }
        return false;
    }

    private Task ShutdownAsync(CancellationToken ct) =>
        bridge.InvokeAsync((_, _) =>
        {
            socket.Shutdown();
            return true;
        }, ct);

    /// <summary>Waits (briefly) for a cancelled read or write to let go of its stream; its outcome no longer matters.</summary>
    private static async Task StopAsync(Task task)
    {
        try
        {
            await task.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException or ChannelClosedException or TimeoutException or InvalidOperationException)
        {
            // Cancelled by the close, or the connection failed meanwhile: the client asked to close either way.
        }
    }

    private async Task WriteReceivedAsync(CancellationToken ct)
    {
        var queue = socket.Received;
        while (await queue.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            while (queue.TryRead(out var chunk))
            {
                if (chunk.IsEnd)
                {
                    await responses.WriteAsync(codec.EndOfStream(), ct).ConfigureAwait(false);
                    return;
                }
                bool resume = socket.OnDequeued(chunk);
                byte[] buffer = chunk.Buffer!;
                int length = chunk.Length;
                if (length < CoalesceBelowBytes && queue.TryPeek(out var next) && !next.IsEnd)
                {
                    (buffer, length, resume) = Coalesce(chunk, queue, resume);
                }
                if (resume)
                {
                    bridge.Post(socket.PumpReceive);
                }
                try
                {
                    // gRPC serialises the message into the response pipe before WriteAsync completes, so the pooled
                    // buffer can go back right after.
                    await responses.WriteAsync(codec.Data(UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(0, length))), ct).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        // Completed without an end-of-stream marker: the socket was released or failed; WaitToReadAsync threw if failed.
        await queue.Completion.ConfigureAwait(false);
    }

    /// <summary>Merges small chunks queued back to back into one buffer of up to 64 KiB (fewer, larger messages).</summary>
    private (byte[] Buffer, int Length, bool Resume) Coalesce(TcpChunk first, ChannelReader<TcpChunk> queue, bool resume)
    {
        var merged = ArrayPool<byte>.Shared.Rent(TcpServerSocket.MaxChunkBytes);
        first.Span.CopyTo(merged);
        int length = first.Length;
        first.Return();
        while (queue.TryPeek(out var next) && !next.IsEnd && length + next.Length <= TcpServerSocket.MaxChunkBytes && queue.TryRead(out next))
        {
            next.Span.CopyTo(merged.AsSpan(length));
            length += next.Length;
            resume |= socket.OnDequeued(next);
            next.Return();
        }
        return (merged, length, resume);
    }
}
