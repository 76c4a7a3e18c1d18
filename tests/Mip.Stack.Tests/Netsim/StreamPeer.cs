using System.Security.Cryptography;
using Mip.Stack.Sockets.Tcp;

namespace Mip.Stack.Tests.Netsim;

/// <summary>
/// One end of a bulk transfer: sends <c>sendBytes</c> of a seeded pattern as fast as the send buffer frees (then
/// half-closes), reads everything the peer sends until its FIN, and hashes both directions with SHA-256.
/// </summary>
internal sealed class StreamPeer : IDisposable
{
    private const int ChunkBytes = 64 * 1024;

    private readonly TcpSocket _socket;
    private readonly long _sendBytes;
    private readonly PatternGenerator _pattern;
    private readonly IncrementalHash _sentHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _receivedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _pending = new byte[ChunkBytes];
    private readonly byte[] _receive = new byte[ChunkBytes];
    private int _pendingOffset = ChunkBytes;
    private int _pendingLength = ChunkBytes;

    public StreamPeer(TcpSocket socket, long sendBytes, ulong seed)
    {
        _socket = socket;
        _sendBytes = sendBytes;
        _pattern = new PatternGenerator(seed);
    }

    public TcpSocket Socket => _socket;
    public long Sent { get; private set; }
    public long Received { get; private set; }
    public bool ShutdownSent { get; private set; }

    /// <summary>When the last byte of the peer's stream was read (the receiver's view of "done").</summary>
    public Instant? ReceiveFinishedAt { get; private set; }

    public bool Done => ShutdownSent && ReceiveFinishedAt is not null;

    public byte[] SentSha256 => _sentHash.GetCurrentHash();
    public byte[] ReceivedSha256 => _receivedHash.GetCurrentHash();

    /// <summary>Moves what it can in both directions; call after every poll.</summary>
    public void Pump(Instant now)
    {
        if (_socket.Error != TcpError.None)
        {
            throw new InvalidOperationException($"socket {_socket.Id} failed: {_socket.Error} in {_socket.State} after sending {Sent} and receiving {Received} bytes");
        }
        int n;
        while ((n = _socket.Receive(_receive)) > 0)
        {
            _receivedHash.AppendData(_receive, 0, n);
            Received += n;
        }
        if (ReceiveFinishedAt is null && _socket.IsReceiveFinished)
        {
            ReceiveFinishedAt = now;
        }
        while (Sent < _sendBytes && _socket.CanSend)
        {
            if (_pendingOffset == _pendingLength)
            {
                _pattern.Fill(_pending);
                _pendingOffset = 0;
                _pendingLength = (int)Math.Min(ChunkBytes, _sendBytes - Sent);
            }
            n = _socket.Send(_pending.AsSpan(_pendingOffset, _pendingLength - _pendingOffset));
            if (n == 0)
            {
                break;
            }
            _sentHash.AppendData(_pending, _pendingOffset, n);
            _pendingOffset += n;
            Sent += n;
        }
        if (Sent == _sendBytes && !ShutdownSent && _socket.CanSend)
        {
            _socket.Shutdown();
            ShutdownSent = true;
        }
    }

    public void Dispose()
    {
        _sentHash.Dispose();
        _receivedHash.Dispose();
    }
}
