using System.Net;

namespace Mip.Server.Hosting;

/// <summary>Where the server listens: gRPC (h2c) and Prometheus metrics, validated from <see cref="MipOptions"/>.</summary>
internal sealed record ServerEndpoints(IPAddress Address, int GrpcPort, int MetricsPort, string? Token, int MaxMessageBytes,
    TimeSpan ClientKeepAlive)
{
    public static ServerEndpoints Parse(MipOptions o)
    {
        if (!IPAddress.TryParse(o.GrpcAddress, out var address))
        {
            throw new OptionsException($"--grpc-address '{o.GrpcAddress}' is not an IP address (e.g. 127.0.0.1, or 0.0.0.0 for every interface)");
        }
        if (o.GrpcPort is < 1 or > 65535)
        {
            throw new OptionsException($"--grpc-port {o.GrpcPort} must be 1-65535");
        }
        if (o.MetricsPort is < 0 or > 65535 || o.MetricsPort == o.GrpcPort)
        {
            throw new OptionsException($"--metrics-port {o.MetricsPort} must be 1-65535 (0 = off) and differ from --grpc-port");
        }
        if (o.MaxSocketsPerClient < 1)
        {
            throw new OptionsException($"--max-sockets-per-client {o.MaxSocketsPerClient} must be at least 1");
        }
        if (o.MaxMessageBytes < 64 * 1024)
        {
            throw new OptionsException($"--max-message-bytes {o.MaxMessageBytes} must be at least 65536 (a whole UDP datagram)");
        }
        if (o.ClientKeepAliveSeconds is < 0 or > 3600)
        {
            throw new OptionsException($"--client-keepalive-seconds {o.ClientKeepAliveSeconds} must be 0 (off) to 3600");
        }
        return new ServerEndpoints(address, o.GrpcPort, o.MetricsPort, string.IsNullOrEmpty(o.Token) ? null : o.Token, o.MaxMessageBytes,
            TimeSpan.FromSeconds(o.ClientKeepAliveSeconds));
    }
}
