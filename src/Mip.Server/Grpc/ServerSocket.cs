using Mip.Grpc.V1;
using Mip.Stack.Wire;

namespace Mip.Server.Grpc;

/// <summary>
/// A stack socket held on behalf of a gRPC call, as <see cref="SocketRegistry"/> lists it. Every member is used on the
/// stack loop thread only. UDP sockets are <see cref="UdpServerSocket"/>; TCP connections and listeners plug in as
/// further subclasses (their protocol, state and RTT come from the TCP socket).
/// </summary>
internal abstract class ServerSocket(string id, string owner)
{
    /// <summary>Stable id, e.g. "udp-3": the prefix names the protocol, the number never repeats in a server's life.</summary>
    public string Id { get; } = id;

    /// <summary>The gRPC peer that opened it (e.g. "ipv4:127.0.0.1:51234"): the client its limits count against.</summary>
    public string Owner { get; } = owner;

    public abstract SocketProtocol Protocol { get; }

    public abstract Ipv4Endpoint Local { get; }

    /// <summary>The peer of a connection; null for UDP sockets and listeners.</summary>
    public virtual Ipv4Endpoint? Remote => null;

    /// <summary>A TCP state name ("Established"); empty for UDP.</summary>
    public virtual string State => "";

    /// <summary>Smoothed RTT in microseconds (TCP); 0 otherwise.</summary>
    public virtual long SmoothedRttMicroseconds => 0;

    public long BytesSent { get; set; }

    public long BytesReceived { get; set; }

    /// <summary>
    /// Closes the stack socket now and ends the gRPC call that carries it with <paramref name="reason"/>
    /// (CloseSocket, or a server shutdown). Idempotent.
    /// </summary>
    public abstract void Abort(string reason);

    public SocketInfo ToProto()
    {
        var info = new SocketInfo
        {
            Id = Id,
            Protocol = Protocol,
            Local = ToProto(Local),
            State = State,
            BytesSent = (ulong)BytesSent,
            BytesReceived = (ulong)BytesReceived,
            SrttUs = (ulong)SmoothedRttMicroseconds,
            Owner = Owner,
        };
        if (Remote is { } remote)
        {
            info.Remote = ToProto(remote);
        }
        return info;
    }

    public static Mip.Grpc.V1.Endpoint ToProto(Ipv4Endpoint endpoint) => new() { Address = endpoint.Address.ToString(), Port = endpoint.Port };
}
