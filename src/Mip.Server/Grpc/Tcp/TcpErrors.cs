using Grpc.Core;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Server.Grpc.Tcp;

/// <summary>The RPC status for a TCP connection that ended with an error (reasons as tcp.proto lists them).</summary>
internal static class TcpErrors
{
    public static RpcException FromTcpError(TcpError error, Ipv4Endpoint remote) => error switch
    {
        TcpError.ConnectionRefused => GrpcErrors.Create(StatusCode.Unavailable, "CONNECTION_REFUSED", $"{remote} refused the connection (RST to our SYN)"),
        TcpError.ConnectionReset => GrpcErrors.Create(StatusCode.Unavailable, "CONNECTION_RESET", $"{remote} reset the connection"),
        TcpError.TimedOut => GrpcErrors.Create(StatusCode.DeadlineExceeded, "TIMED_OUT", $"the connection to {remote} timed out"),
        TcpError.HostUnreachable => GrpcErrors.Create(StatusCode.Unavailable, "HOST_UNREACHABLE", $"{remote} is unreachable"),
        TcpError.NetworkUnreachable => GrpcErrors.Create(StatusCode.Unavailable, "NETWORK_UNREACHABLE", $"the network of {remote} is unreachable"),
        TcpError.AddressLost => GrpcErrors.Create(StatusCode.Unavailable, "ADDRESS_LOST", $"the stack lost the local address of the connection to {remote}"),
        TcpError.Aborted => GrpcErrors.Create(StatusCode.Aborted, "SOCKET_CLOSED", $"the connection to {remote} was aborted"),
        _ => GrpcErrors.Create(StatusCode.Internal, "TCP_ERROR", $"the connection to {remote} failed: {error}"),
    };
}
