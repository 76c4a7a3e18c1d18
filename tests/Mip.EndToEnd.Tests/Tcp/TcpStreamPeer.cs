using System.Security.Cryptography;
using Mip.Stack;
using Mip.Stack.Sockets.Tcp;

namespace Mip.EndToEnd.Tests.Tcp;

/// <summary>
/// The stack's end of a bulk transfer, run on the loop thread: sends a seeded pattern as the send buffer frees, then
/// half-closes; reads to the peer's FIN; SHA-256 of both directions. Read results through <c>Invoke</c>.
/// </summary>
internal sealed class TcpStreamPeer : IDisposable
{
    private const int ChunkBytes = 64 * 1024;
    private readonly long _sendBytes;
    private readonly Random _pattern;
    private readonly IncrementalHash _sentHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _receivedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _pending = new byte[ChunkBytes];
    private readonly byte[] _receive = new byte[ChunkBytes];
    private int _pendingOffset = ChunkBytes, _pendingLength = ChunkBytes;

    public TcpStreamPeer(TcpSocket socket, long sendBytes, int seed)
    {
        Socket = socket;
        _sendBytes = sendBytes;
        _pattern = new Random(seed);
    }

    public TcpSocket Socket { get; }
    public long Sent { get; private set; }
    public long Received { get; private set; }
    public bool Done => Sent == _sendBytes && Socket.IsReceiveFinished && ShutdownSent;
    public bool ShutdownSent { get; private set; }
    public string SentSha256 => Convert.ToHexStringLower(_sentHash.GetCurrentHash());
    public string ReceivedSha256 => Convert.ToHexStringLower(_receivedHash.GetCurrentHash());

    public void Pump(Instant now)
    {
        int n;
        while ((n = Socket.Receive(_receive)) > 0)
        {
            _receivedHash.AppendData(_receive, 0, n);
            Received += n;
        }
        while (Sent < _sendBytes && Socket.CanSend)
        {
            if (_pendingOffset == _pendingLength)
            {
                _pattern.NextBytes(_pending);
                _pendingOffset = 0;
                _pendingLength = (int)Math.Min(ChunkBytes, _sendBytes - Sent);
            }
            n = Socket.Send(_pending.AsSpan(_pendingOffset, _pendingLength - _pendingOffset));
            if (n == 0)
            {
                break;
            }
            _sentHash.AppendData(_pending, _pendingOffset, n);
            _pendingOffset += n;
            Sent += n;
        }
        if (Sent == _sendBytes && !ShutdownSent && Socket.CanSend)
        {
            Socket.Shutdown();
            ShutdownSent = true;
        }
    }

    public override string ToString() => $"socket {Socket.Id} {Socket.State} error {Socket.Error}: sent {Sent}, received {Received}";

    public void Dispose()
    {
        _sentHash.Dispose();
        _receivedHash.Dispose();
    }
}
