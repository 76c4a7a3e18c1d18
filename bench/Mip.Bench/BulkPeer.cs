using Mip.Stack.Sockets.Tcp;

namespace Mip.Bench;

/// <summary>The stack's in-process source or sink: sends zeros as the send buffer frees, or counts what arrives.</summary>
internal sealed class BulkPeer(TcpSocket socket, long sendBytes)
{
    private static readonly byte[] Zeros = new byte[64 * 1024];
    private readonly byte[] _sink = new byte[64 * 1024];

    public TcpSocket Socket => socket;
    public long Sent { get; private set; }
    public long Received { get; private set; }
    public bool Finished => Sent == sendBytes && socket.IsReceiveFinished;

    public void Pump()
    {
        int n;
        while ((n = socket.Receive(_sink)) > 0)
        {
            Received += n;
        }
        while (Sent < sendBytes && socket.CanSend)
        {
            n = socket.Send(Zeros.AsSpan(0, (int)Math.Min(Zeros.Length, sendBytes - Sent)));
            if (n == 0)
            {
                return;
            }
            Sent += n;
            if (Sent == sendBytes)
            {
                socket.Shutdown();
            }
        }
    }
}
