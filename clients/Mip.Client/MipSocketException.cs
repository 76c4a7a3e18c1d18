using System.Net.Sockets;
using Google.Rpc;
using Grpc.Core;

namespace Mip.Client;

/// <summary>
/// A socket error on the remote stack, shaped like <see cref="SocketException"/>: <see cref="SocketErrorCode"/> says
/// what happened (refused, reset, timed out, unreachable, address in use), <see cref="Reason"/> carries the server's
/// <c>google.rpc.ErrorInfo</c> reason. It derives from <see cref="IOException"/> so code written for
/// <see cref="System.Net.Sockets.NetworkStream"/> handles it as it would a local socket failure.
/// </summary>
public sealed class MipSocketException : IOException
{
    public MipSocketException(SocketError socketErrorCode, string reason, string message, Exception? inner = null)
        : base(message, inner)
    {
        SocketErrorCode = socketErrorCode;
        Reason = reason;
    }

    /// <summary>The closest <see cref="SocketError"/>.</summary>
    public SocketError SocketErrorCode { get; }

    /// <summary>The server's ErrorInfo reason, e.g. CONNECTION_REFUSED; the gRPC status code name when none was given.</summary>
    public string Reason { get; }

    /// <summary>Maps a failed call to the socket error it stands for.</summary>
    public static MipSocketException FromRpc(RpcException ex)
    {
        string reason = ex.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason ?? ex.StatusCode.ToString();
        var code = reason switch
        {
            "CONNECTION_REFUSED" => SocketError.ConnectionRefused,
            "CONNECTION_RESET" => SocketError.ConnectionReset,
            "TIMED_OUT" => SocketError.TimedOut,
            "HOST_UNREACHABLE" => SocketError.HostUnreachable,
            "NETWORK_UNREACHABLE" or "NOT_CONFIGURED" => SocketError.NetworkUnreachable,
            "ADDRESS_IN_USE" => SocketError.AddressAlreadyInUse,
            "ADDRESS_LOST" => SocketError.AddressNotAvailable,
            "NAME_NOT_FOUND" => SocketError.HostNotFound,
            "TOO_MANY_SOCKETS" => SocketError.TooManyOpenSockets,
            _ => ex.StatusCode switch
            {
                StatusCode.Cancelled => SocketError.OperationAborted,
                StatusCode.DeadlineExceeded => SocketError.TimedOut,
                StatusCode.Unavailable => SocketError.NetworkDown,
                StatusCode.InvalidArgument => SocketError.InvalidArgument,
                StatusCode.Unauthenticated or StatusCode.PermissionDenied => SocketError.AccessDenied,
                _ => SocketError.SocketError,
            },
        };
        return new MipSocketException(code, reason, $"{reason}: {ex.Status.Detail}", ex);
    }
}
