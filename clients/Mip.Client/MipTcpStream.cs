using System.Net;
using Google.Protobuf;
using Grpc.Core;

namespace Mip.Client;

/// <summary>
/// A TCP connection on the remote stack as a <see cref="Stream"/>, like <see cref="System.Net.Sockets.NetworkStream"/>:
/// reads return what the peer sent (0 at its FIN), writes send, <see cref="ShutdownAsync"/> half-closes, disposing
/// closes. Errors surface as <see cref="MipSocketException"/> (an <see cref="IOException"/>). One reader and one
/// writer may work concurrently; concurrent reads (or concurrent writes) are not supported, as with sockets.
/// </summary>
public sealed class MipTcpStream : Stream
{
    /// <summary>Bytes per data message: large enough to amortise framing, small enough to keep latency and memory low.</summary>
    internal const int MaxChunkBytes = 64 * 1024;

    private readonly ITcpFrameChannel _channel;
    private readonly CancellationTokenSource _lifetime = new();
    private ByteString? _current;
    private int _currentOffset;
    private bool _readEnded;
    private bool _shutdown;
    private bool _disposed;

    internal MipTcpStream(ITcpFrameChannel channel, string socketId, IPEndPoint localEndPoint, IPEndPoint remoteEndPoint)
    {
        _channel = channel;
        SocketId = socketId;
        LocalEndPoint = localEndPoint;
        RemoteEndPoint = remoteEndPoint;
    }

    /// <summary>The stack's id for this connection (see the socket table).</summary>
    public string SocketId { get; }

    /// <summary>The stack's end of the connection.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The peer's end of the connection.</summary>
    public IPEndPoint RemoteEndPoint { get; }

    public override bool CanRead => !_disposed;
    public override bool CanWrite => !_disposed && !_shutdown;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }
        while (_current is null || _currentOffset == _current.Length)
        {
            if (_readEnded)
            {
                return 0;
            }
            // One linked source per message only when the caller's token can cancel (most reads pass none).
            using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token) : null;
            TcpFrame frame;
            try
            {
                frame = await _channel.ReadAsync(linked?.Token ?? _lifetime.Token).ConfigureAwait(false);
            }
            catch (RpcException ex)
            {
                throw MipSocketException.FromRpc(ex);
            }
            if (frame.Data is null)
            {
                _readEnded = true;
                return 0;
            }
            _current = frame.Data;
            _currentOffset = 0;
        }
        int n = Math.Min(buffer.Length, _current.Length - _currentOffset);
        _current.Span.Slice(_currentOffset, n).CopyTo(buffer.Span);
        _currentOffset += n;
        return n;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_shutdown)
        {
            throw new InvalidOperationException("The sending side was shut down.");
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        try
        {
            for (int offset = 0; offset < buffer.Length; offset += MaxChunkBytes)
            {
                var chunk = buffer.Slice(offset, Math.Min(MaxChunkBytes, buffer.Length - offset));
                await _channel.WriteDataAsync(ByteString.CopyFrom(chunk.Span), linked.Token).ConfigureAwait(false);
            }
        }
        catch (RpcException ex)
        {
            throw MipSocketException.FromRpc(ex);
        }
    }

    /// <summary>Half-closes: the peer reads to its end of stream after the bytes already written; reading goes on.</summary>
    public async Task ShutdownAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_shutdown)
        {
            return;
        }
        _shutdown = true;
        try
        {
            await _channel.WriteShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw MipSocketException.FromRpc(ex);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Nothing is buffered client-side: every write is already on its way.</summary>
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// Closes like <see cref="System.Net.Sockets.Socket.Close()"/>: FIN after the bytes already written, without waiting
    /// for the peer (the stack finishes the close on its own). Unread data is discarded; if the peer still sends, the
    /// stack resets the connection, as a kernel does. Use <see cref="Dispose(bool)"/> (plain Dispose) to reset at once.
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                // Half-closed and the peer's end of stream read: the server ends the call by itself.
                if (!(_shutdown && _readEnded))
                {
                    _shutdown = true;
                    await _channel.WriteCloseAsync(timeout.Token).ConfigureAwait(false);
                }
                // Whatever was already on its way is discarded; the call ends right after the close.
                await _channel.WaitForStatusAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RpcException or OperationCanceledException or InvalidOperationException)
            {
                // The connection is going away either way; a reset or timeout here is not the caller's problem.
            }
        }
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Ends the call at once; the server resets the TCP connection if it was still open.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _lifetime.Cancel();
            _channel.Dispose();
            _lifetime.Dispose();
        }
        base.Dispose(disposing);
    }
}
