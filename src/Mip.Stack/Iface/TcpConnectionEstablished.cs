using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>A TCP connection reached ESTABLISHED (active or passive open).</summary>
public sealed record TcpConnectionEstablished(Instant At, int SocketId, Ipv4Endpoint Local, Ipv4Endpoint Remote)
    : StackEvent(At);
