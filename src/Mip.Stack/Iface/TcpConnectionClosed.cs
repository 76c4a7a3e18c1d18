using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>
/// A TCP connection is over for its application: it reached CLOSED or TIME_WAIT (whichever first; TIME_WAIT only
/// guards the 4-tuple). <paramref name="Error"/> is None for a graceful close.
/// </summary>
public sealed record TcpConnectionClosed(Instant At, int SocketId, Ipv4Endpoint Local, Ipv4Endpoint Remote, TcpError Error)
    : StackEvent(At);
