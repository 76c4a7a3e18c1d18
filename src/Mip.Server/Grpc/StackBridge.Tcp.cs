using Mip.Server.Grpc.Tcp;
using Mip.Stack;
using Mip.Stack.Iface;
using Mip.Stack.Sockets.Tcp;

namespace Mip.Server.Grpc;

internal sealed partial class StackBridge
{
    private readonly Dictionary<TcpSocket, TcpServerSocket> _tcpSockets = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<TcpListener, TcpListenerServerSocket> _tcpListeners = new(ReferenceEqualityComparer.Instance);
    private readonly List<TcpServerSocket> _unattached = [];

    /// <summary>Called with a connection's smoothed RTT when a gRPC-held connection ends (metrics; loop thread).</summary>
    public Action<TimeSpan>? TcpConnectionEnded { get; set; }

    /// <summary>Called when a listener resets a connection because its owner is at the socket limit (metrics; loop thread).</summary>
    public Action? ListenerRefused { get; set; }

    /// <summary>Loop: registers a connection (id, limit, event) and routes the stack's activity reports to it.</summary>
    public void AddTcp(TcpServerSocket socket)
    {
        Sockets.Add(socket);
        _tcpSockets.Add(socket.Socket, socket);
    }

    /// <summary>Loop: releases the connection (gracefully or with RST) and forgets it. Idempotent.</summary>
    public void RemoveTcp(TcpServerSocket socket, bool graceful)
    {
        if (_tcpSockets.Remove(socket.Socket))
        {
            TcpConnectionEnded?.Invoke(socket.Socket.Stats.SmoothedRtt);
        }
        socket.Release(graceful);
        _unattached.Remove(socket);
        Sockets.Remove(socket, socket.AbortReason ?? "");
    }

    /// <summary>Runs <paramref name="action"/> on the loop thread without waiting; lost if the stack is stopping.</summary>
    public void Post(Action action) =>
        _ = InvokeAsync((_, _) =>
        {
            action();
            return true;
        }).ContinueWith(static t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    public void AddTcpListener(TcpListenerServerSocket listener)
    {
        Sockets.Add(listener);
        _tcpListeners.Add(listener.Listener, listener);
    }

    public void RemoveTcpListener(TcpListenerServerSocket listener)
    {
        listener.Close();
        _tcpListeners.Remove(listener.Listener);
        Sockets.Remove(listener, listener.AbortReason ?? "");
    }

    /// <summary>
    /// Loop: an Attach call claims an accepted connection. Null when no unattached connection has that id (never
    /// accepted, attached already, or reset because its attach timeout passed).
    /// </summary>
    public TcpServerSocket? ClaimUnattached(string id)
    {
        for (int i = 0; i < _unattached.Count; i++)
        {
            if (_unattached[i].Id == id)
            {
                var socket = _unattached[i];
                _unattached.RemoveAt(i);
                socket.AttachDeadline = null;
                return socket;
            }
        }
        return null;
    }

    private void PollTcp(NetStack stack, Instant now)
    {
        while (stack.TryDequeueTcpAcceptReady(out var listener))
        {
            if (_tcpListeners.TryGetValue(listener, out var owner))
            {
                Accept(owner, now);
            }
        }
        // The stack reports each socket at most once per poll; sockets of other users (the HTTP demo) are skipped.
        while (stack.TryDequeueTcpActivity(out var socket))
        {
            if (_tcpSockets.TryGetValue(socket, out var server))
            {
                server.OnActivity();
            }
        }
        for (int i = _unattached.Count - 1; i >= 0; i--)
        {
            var socket = _unattached[i];
            if (socket.AttachDeadline is { } deadline && now >= deadline)
            {
                socket.Abort("reset: no Attach call within the attach timeout");
                RemoveTcp(socket, graceful: false);
                socket.Dispose();
            }
        }
    }

    private void Accept(TcpListenerServerSocket listener, Instant now)
    {
        while (listener.Listener.TryAccept(out var accepted))
        {
            if (!Sockets.HasCapacity(listener.Owner))
            {
                // Over the owner's socket limit: refuse as an overflowing accept queue would, with RST.
                accepted.Abort();
                accepted.Close();
                listener.Refused++;
                ListenerRefused?.Invoke();
                continue;
            }
            var socket = new TcpServerSocket(Sockets.NewId("tcp"), listener.Owner, accepted)
            {
                AttachDeadline = now + listener.AttachTimeout,
            };
            AddTcp(socket);
            _unattached.Add(socket);
            // Activity while the listener owned it was not reported: take in what already arrived (data, FIN, RST).
            socket.OnActivity();
            listener.Publish(socket);
        }
    }
}
