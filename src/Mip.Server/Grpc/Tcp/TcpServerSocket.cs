using System.Buffers;
using System.Threading.Channels;
using Grpc.Core;
using Mip.Grpc.V1;
using Mip.Stack;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Server.Grpc.Tcp;

/// <summary>
/// A stack <see cref="TcpSocket"/> carried by one Connect or Attach call. The loop thread moves received bytes into a
/// queue of pooled chunks bounded by <see cref="MaxQueuedBytes"/>; when the call's writer falls behind, the loop stops
/// reading the socket, so the bytes stay in the TCP receive buffer and the advertised window closes (flow control end
/// to end, no unbounded queue). Writes wait for <see cref="WaitWritableAsync"/> when the send buffer is full.
/// Members marked "loop" run on the stack loop thread only; the rest are for the call's tasks.
/// </summary>
internal sealed class TcpServerSocket : ServerSocket, IDisposable
{
    /// <summary>Bytes queued towards the client at most (plus one chunk): a few hundred KiB per connection.</summary>
    public const int MaxQueuedBytes = 256 * 1024;

    /// <summary>Largest data message: big enough to amortise gRPC framing, small enough for latency and memory.</summary>
    public const int MaxChunkBytes = 64 * 1024;

    private readonly TcpSocket _socket;
    private readonly Channel<TcpChunk> _received = Channel.CreateUnbounded<TcpChunk>(new UnboundedChannelOptions
    {
        // Release drains leftovers on the loop thread while the call's writer may still be reading.
        SingleReader = false,
        SingleWriter = true,
    });
    private readonly TaskCompletionSource _established = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _aborted = new();
    private readonly Ipv4Endpoint _local;
    private readonly Ipv4Endpoint _remote;
    private TaskCompletionSource? _writable;
    private int _queuedBytes;
    private int _receiveStalled;
    private bool _receiveEnded;

    public TcpServerSocket(string id, string owner, TcpSocket socket) : base(id, owner)
    {
        _socket = socket;
        _local = socket.LocalEndpoint;
        _remote = socket.RemoteEndpoint;
    }

    public override SocketProtocol Protocol => SocketProtocol.Tcp;

    public override Ipv4Endpoint Local => _local;

    public override Ipv4Endpoint? Remote => _remote;

    public override string State => IsClosed ? "Closed" : _socket.State.ToString();

    public override long SmoothedRttMicroseconds => (long)_socket.Stats.SmoothedRtt.TotalMicroseconds;

    public TcpSocket Socket => _socket;

    /// <summary>Completes once the handshake did; fails with the RPC status of the failure.</summary>
    public Task Established => _established.Task;

    /// <summary>Received data and the end of stream, in order; fails with the status that ended the connection.</summary>
    public ChannelReader<TcpChunk> Received => _received.Reader;

    /// <summary>Cancelled when the server closes the socket (CloseSocket, shutdown, an attach timeout).</summary>
    public CancellationToken Aborted => _aborted.Token;

    public string? AbortReason { get; private set; }

    /// <summary>An accepted connection that no Attach call carries yet, and when it is reset if none comes (loop).</summary>
    public Instant? AttachDeadline { get; set; }

    /// <summary>Loop: the socket was released to the stack (closed, aborted or gracefully finished).</summary>
    public bool IsClosed { get; private set; }

    /// <summary>Loop: the client half-closed and the peer's FIN arrived, so closing now is graceful.</summary>
    public bool GracefulEnd { get; set; }

    /// <summary>Loop: the stack reported the socket readable, writable, finished or closed.</summary>
    public void OnActivity()
    {
        if (_socket.State is not (TcpState.SynSent or TcpState.SynReceived or TcpState.Closed))
        {
            _established.TrySetResult();
        }
        PumpReceive();
        if (_writable is { } waiter && (_socket.SendBufferFree > 0 || !_socket.CanSend))
        {
            _writable = null;
            waiter.TrySetResult();
        }
        if (_socket.State == TcpState.Closed && _socket.Error != TcpError.None)
        {
            Fail(TcpErrors.FromTcpError(_socket.Error, _remote));
        }
    }

    /// <summary>
    /// Loop: moves received bytes into the queue while it holds less than <see cref="MaxQueuedBytes"/>, then the end of
    /// stream once the peer's FIN was read. Reads coalesce whatever arrived into chunks of up to 64 KiB.
    /// </summary>
    public void PumpReceive()
    {
        while (!_receiveEnded && !IsClosed)
        {
            int available = _socket.BytesAvailable;
            if (available == 0)
            {
                if (_socket.IsReceiveFinished && _socket.Error == TcpError.None)
                {
                    _receiveEnded = true;
                    _received.Writer.TryWrite(TcpChunk.End);
                }
                return;
            }
            if (Volatile.Read(ref _queuedBytes) >= MaxQueuedBytes)
            {
                // Publish the stall before checking again: the writer clears it after dequeuing and then re-posts a pump.
                Interlocked.Exchange(ref _receiveStalled, 1);
                if (Volatile.Read(ref _queuedBytes) >= MaxQueuedBytes)
                {
                    return;
                }
                Interlocked.Exchange(ref _receiveStalled, 0);
            }
            int size = Math.Min(available, MaxChunkBytes);
            var buffer = ArrayPool<byte>.Shared.Rent(size);
            int n = _socket.Receive(buffer.AsSpan(0, Math.Min(size, buffer.Length)));
            BytesReceived += n;
            Interlocked.Add(ref _queuedBytes, n);
            _received.Writer.TryWrite(new TcpChunk(buffer, n));
        }
    }

    /// <summary>The writer took <paramref name="chunk"/> off the queue; true when the loop must be asked to read again.</summary>
    public bool OnDequeued(TcpChunk chunk)
    {
        Interlocked.Add(ref _queuedBytes, -chunk.Length);
        return Interlocked.Exchange(ref _receiveStalled, 0) == 1;
    }

    /// <summary>
    /// Loop: copies what fits of <paramref name="data"/> into the send buffer. When nothing fit, returns 0 and arms
    /// <paramref name="writable"/> to complete when space frees (or the connection ends).
    /// </summary>
    public int Send(ReadOnlySpan<byte> data, out Task? writable)
    {
        writable = null;
        if (IsClosed || !_socket.CanSend)
        {
            throw ClosedForSending();
        }
        int n = _socket.Send(data);
        BytesSent += n;
        if (n == 0)
        {
            _writable ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            writable = _writable.Task;
        }
        return n;
    }

    /// <summary>Loop: the client half-closed: FIN after the queued data.</summary>
    public void Shutdown()
    {
        if (!IsClosed)
        {
            _socket.Shutdown();
        }
    }

    /// <summary>Loop: the status for a send on a socket that cannot send any more.</summary>
    public RpcException ClosedForSending() => _socket.Error != TcpError.None
        ? TcpErrors.FromTcpError(_socket.Error, _remote)
        : GrpcErrors.Create(StatusCode.FailedPrecondition, "SEND_SHUT_DOWN", $"connection {Id} no longer sends (shut down or closed)");

    public override void Abort(string reason)
    {
        AbortReason ??= reason;
        Release(graceful: false);
        _aborted.Cancel();
    }

    /// <summary>
    /// Loop: hands the socket back to the stack. Graceful: Close() finishes the FIN exchange (and resets if unread data
    /// remains, RFC 2525 §2.17); otherwise Abort() sends RST at once. Idempotent; frees the queued chunks.
    /// </summary>
    public void Release(bool graceful)
    {
        if (IsClosed)
        {
            return;
        }
        IsClosed = true;
        if (graceful)
        {
            _socket.Close();
        }
        else
        {
            _socket.Abort();
            _socket.Close(); // frees the table entry; Abort already sent RST
        }
        var closed = GrpcErrors.Create(StatusCode.Aborted, "SOCKET_CLOSED", $"socket {Id} was {AbortReason ?? "closed"}");
        _established.TrySetException(closed);
        _writable?.TrySetException(closed);
        _writable = null;
        _received.Writer.TryComplete(closed);
        while (_received.Reader.TryRead(out var chunk))
        {
            chunk.Return();
        }
    }

    private void Fail(RpcException error)
    {
        _established.TrySetException(error);
        _writable?.TrySetException(error);
        _writable = null;
        _receiveEnded = true;
        _received.Writer.TryComplete(error);
    }

    public void Dispose() => _aborted.Dispose();
}
