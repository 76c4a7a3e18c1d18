using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Tcp;

/// <summary>The key of the connection table (RFC 9293 §3.3.1: a connection is named by its pair of sockets).</summary>
internal readonly record struct TcpFourTuple(Ipv4Address LocalAddress, ushort LocalPort, Ipv4Address RemoteAddress, ushort RemotePort)
{
    public TcpFourTuple(Ipv4Endpoint local, Ipv4Endpoint remote)
        : this(local.Address, local.Port, remote.Address, remote.Port)
    {
    }

    public Ipv4Endpoint Local => new(LocalAddress, LocalPort);
    public Ipv4Endpoint Remote => new(RemoteAddress, RemotePort);
}
