using Mip.Stack.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Tcp;

/// <summary>
/// A passive open (RFC 9293 §3.10.1 LISTEN) on one port. Half-open connections (SYN-RECEIVED) count against
/// <see cref="Backlog"/> as the SYN queue; when it is full the stack answers with SYN cookies (RFC 4987 §3.6).
/// Established connections wait in the accept queue, also bounded by <see cref="Backlog"/>.
/// </summary>
public sealed class TcpListener
{
    private readonly NetStack _stack;
    private readonly Queue<TcpSocket> _accept;

    internal TcpListener(NetStack stack, ushort port, int backlog, TcpSocketOptions options)
    {
        _stack = stack;
        Port = port;
        Backlog = backlog;
        Options = options;
        _accept = new Queue<TcpSocket>(Math.Min(backlog, 1024));
    }

    public Ipv4Endpoint LocalEndpoint => new(_stack.Ipv4?.Address ?? Ipv4Address.Any, Port);

    /// <summary>Largest SYN queue and accept queue.</summary>
    public int Backlog { get; }

    /// <summary>Established connections waiting for <see cref="TryAccept"/>.</summary>
    public int PendingConnections => _accept.Count;

    public bool IsClosed { get; private set; }

    internal ushort Port { get; }
    internal TcpSocketOptions Options { get; }

    /// <summary>Connections in SYN-RECEIVED that came from this listener.</summary>
    internal int HalfOpen { get; set; }

    internal bool AcceptReadyQueued { get; set; }

    internal bool AcceptQueueFull => _accept.Count >= Backlog;

    /// <summary>Takes the oldest established connection.</summary>
    public bool TryAccept(out TcpSocket socket)
    {
        while (_accept.TryDequeue(out socket!))
        {
            socket.Listener = null;
            if (socket.State != TcpState.Closed || socket.BytesAvailable > 0)
            {
                return true; // a connection the peer already closed still delivers its data and EOF
            }
        }
        socket = null!;
        return false;
    }

    /// <summary>Stops listening; connections not yet accepted are reset (as Linux does on close of a listener).</summary>
    public void Close()
    {
        if (IsClosed)
        {
            return;
        }
        IsClosed = true;
        _stack.CloseListener(this);
        while (_accept.TryDequeue(out var s))
        {
            s.Listener = null;
            s.Abort();
        }
    }

    internal void Enqueue(TcpSocket socket) => _accept.Enqueue(socket);
}
