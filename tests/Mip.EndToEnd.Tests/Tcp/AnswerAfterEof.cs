using System.Text;
using Mip.Stack.Sockets.Tcp;

namespace Mip.EndToEnd.Tests.Tcp;

/// <summary>Reads until the peer half-closes, then answers on the half that is still open, and closes.</summary>
internal sealed class AnswerAfterEof(TcpSocket socket)
{
    private readonly List<byte> _request = [];
    private readonly byte[] _buffer = new byte[4096];

    public bool Pump()
    {
        if (socket.State == TcpState.Closed)
        {
            return false;
        }
        int n;
        while ((n = socket.Receive(_buffer)) > 0)
        {
            _request.AddRange(_buffer.AsSpan(0, n).ToArray());
        }
        if (!socket.IsReceiveFinished)
        {
            return true;
        }
        string text = Encoding.ASCII.GetString([.. _request]);
        byte[] answer = Encoding.ASCII.GetBytes($"got {_request.Count} bytes: {text.ToUpperInvariant()}");
        Assert.Equal(answer.Length, socket.Send(answer));
        socket.Close();
        return false;
    }
}
