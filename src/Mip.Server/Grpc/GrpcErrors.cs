using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Mip.Stack.Iface;
using Mip.Stack.Sockets.Dns;

namespace Mip.Server.Grpc;

/// <summary>
/// Builds the API's errors: an <see cref="RpcException"/> carrying a <c>google.rpc.Status</c> with an
/// <see cref="ErrorInfo"/> (a stable UPPER_SNAKE reason in domain "mip.v1") or a <see cref="BadRequest"/> listing every
/// invalid field, so clients branch on reasons instead of parsing messages.
/// </summary>
internal static class GrpcErrors
{
    public const string Domain = "mip.v1";

    public static RpcException Create(StatusCode code, string reason, string message, IDictionary<string, string>? metadata = null)
    {
        var info = new ErrorInfo { Reason = reason, Domain = Domain };
        if (metadata is not null)
        {
            info.Metadata.Add(metadata);
        }
        return new Google.Rpc.Status { Code = (int)code, Message = message, Details = { Any.Pack(info) } }.ToRpcException();
    }

    /// <summary>InvalidArgument with one field violation per problem (none is returned when the list is empty).</summary>
    public static RpcException InvalidArgument(IReadOnlyList<FieldViolation> violations)
    {
        var badRequest = new BadRequest();
        foreach (var v in violations)
        {
            badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = v.Field, Description = v.Description });
        }
        string message = string.Join("; ", violations.Select(v => $"{v.Field}: {v.Description}"));
        return new Google.Rpc.Status
        {
            Code = (int)StatusCode.InvalidArgument,
            Message = message,
            Details = { Any.Pack(badRequest), Any.Pack(new ErrorInfo { Reason = "INVALID_ARGUMENT", Domain = Domain }) },
        }.ToRpcException();
    }

    public static RpcException InvalidArgument(string field, string description) => InvalidArgument([new FieldViolation(field, description)]);

    /// <summary>The status for a stack operation that failed with <paramref name="error"/>.</summary>
    public static RpcException FromStackError(StackError error, string message) => error switch
    {
        StackError.AddressInUse => Create(StatusCode.AlreadyExists, "ADDRESS_IN_USE", message),
        StackError.NoEphemeralPorts => Create(StatusCode.ResourceExhausted, "NO_EPHEMERAL_PORTS", message),
        StackError.NotConfigured => Create(StatusCode.FailedPrecondition, "NOT_CONFIGURED", message),
        StackError.NoRoute => Create(StatusCode.Unavailable, "HOST_UNREACHABLE", message),
        StackError.LinkDown => Create(StatusCode.Unavailable, "LINK_DOWN", message),
        StackError.MessageTooLong => Create(StatusCode.InvalidArgument, "MESSAGE_TOO_LONG", message),
        StackError.BroadcastNotPermitted => Create(StatusCode.PermissionDenied, "BROADCAST_NOT_PERMITTED", message),
        StackError.SocketClosed => Create(StatusCode.Aborted, "SOCKET_CLOSED", message),
        StackError.ArpQueueFull => Create(StatusCode.Unavailable, "ARP_QUEUE_FULL", message),
        StackError.DeviceRefused => Create(StatusCode.Unavailable, "DEVICE_REFUSED", message),
        StackError.InvalidArgument => Create(StatusCode.InvalidArgument, "INVALID_ARGUMENT", message),
        _ => Create(StatusCode.Internal, "STACK_ERROR", message),
    };

    /// <summary>
    /// The status for a failed resolution: NXDOMAIN and NODATA are NotFound (the name has no IPv4 address), no answer
    /// is Unavailable (worth retrying), a bad name is InvalidArgument.
    /// </summary>
    public static RpcException FromDns(DnsResult result)
    {
        string name = result.Name;
        string detail = result.Detail is null ? "" : $": {result.Detail}";
        return result.Status switch
        {
            DnsResolveStatus.NameNotFound => Create(StatusCode.NotFound, "NAME_NOT_FOUND", $"{name} does not exist (NXDOMAIN){detail}"),
            DnsResolveStatus.NoData => Create(StatusCode.NotFound, "NO_ADDRESS", $"{name} has no IPv4 address{detail}"),
            DnsResolveStatus.Timeout => Create(StatusCode.Unavailable, "DNS_TIMEOUT", $"no DNS server answered for {name}{detail}"),
            DnsResolveStatus.NoServers => Create(StatusCode.FailedPrecondition, "NO_DNS_SERVERS", $"cannot resolve {name}: no DNS server is configured"),
            DnsResolveStatus.ServerFailure => Create(StatusCode.Unavailable, "DNS_SERVER_FAILURE", $"the DNS servers failed to answer for {name}{detail}"),
            DnsResolveStatus.InvalidName => InvalidArgument("name", $"'{name}' is not a valid host name{detail}"),
            DnsResolveStatus.Cancelled => Create(StatusCode.Cancelled, "CANCELLED", $"resolving {name} was cancelled"),
            DnsResolveStatus.Truncated => Create(StatusCode.Unavailable, "DNS_TRUNCATED", $"the answer for {name} was truncated and DNS over TCP is not supported"),
            DnsResolveStatus.Overloaded => Create(StatusCode.ResourceExhausted, "DNS_OVERLOADED", $"too many names are being resolved at once{detail}"),
            _ => Create(StatusCode.Internal, "DNS_ERROR", $"resolving {name} failed: {result.Status}"),
        };
    }
}
