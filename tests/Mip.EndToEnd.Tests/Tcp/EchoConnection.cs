using Mip.Stack.Sockets.Tcp;

namespace Mip.EndToEnd.Tests.Tcp;

/// <summary>Echoes what it reads (as far as the send buffer takes it) and closes after the peer's FIN and the echo.</summary>
internal sealed class EchoConnection(TcpSocket socket)
{
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _start, _end;

    /// <summary>False once finished.</summary>
    public bool Pump()
    {
        if (socket.State == TcpState.Closed)
        {
            return false;
        }
        while (true)
        {
            if (_start < _end)
            {
                int n = socket.Send(_buffer.AsSpan(_start, _end - _start));
                _start += n;
                if (_start < _end)
                {
                    return true;
                }
            }
            _start = 0;
            _end = socket.Receive(_buffer);
            if (_end == 0)
            {
                break;
            }
        }
        if (socket.IsReceiveFinished)
        {
            socket.Close();
            return false;
        }
        return true;
    }
}
