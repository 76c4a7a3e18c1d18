using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Mip.Server.Grpc;

/// <summary>
/// Optional shared-secret authentication: every call must carry <c>authorization: Bearer TOKEN</c>, except the
/// health service (probes must not need the secret). Missing or wrong tokens end the call with Unauthenticated and
/// an ErrorInfo reason (TOKEN_MISSING or TOKEN_INVALID). The comparison takes constant time.
/// </summary>
internal sealed class BearerTokenInterceptor(string token) : Interceptor
{
    private const string HealthServicePrefix = "/grpc.health.v1.Health/";
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(token);

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        if (context.Method.StartsWith(HealthServicePrefix, StringComparison.Ordinal))
        {
            return;
        }
        string? header = context.RequestHeaders.GetValue("authorization");
        if (header is null)
        {
            throw GrpcErrors.Create(StatusCode.Unauthenticated, "TOKEN_MISSING",
                "this server requires a token: send the metadata 'authorization: Bearer <token>' (the server's --token / MIP_TOKEN)");
        }
        const string scheme = "Bearer ";
        bool ok = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), _expected);
        if (!ok)
        {
            throw GrpcErrors.Create(StatusCode.Unauthenticated, "TOKEN_INVALID", "the bearer token is wrong");
        }
    }
}
