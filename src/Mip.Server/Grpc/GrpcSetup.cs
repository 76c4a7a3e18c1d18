using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mip.Server.Hosting;
using Mip.Server.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Mip.Server.Grpc;

/// <summary>The gRPC services, health, reflection, authentication, limits and the metrics endpoint.</summary>
internal static class GrpcSetup
{
    public static void AddMipGrpc(WebApplicationBuilder builder, MipOptions mip, ServerEndpoints endpoints)
    {
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // h2c needs an HTTP/2-only endpoint: Http1AndHttp2 without TLS silently becomes HTTP/1.1.
            kestrel.Listen(endpoints.Address, endpoints.GrpcPort, o => o.Protocols = HttpProtocols.Http2);
            if (endpoints.MetricsPort != 0)
            {
                // Prometheus scrapes HTTP/1.1; it cannot speak h2c.
                kestrel.Listen(endpoints.Address, endpoints.MetricsPort, o => o.Protocols = HttpProtocols.Http1);
            }
            // Larger windows let one stream carry far more than the 64 KiB/768 KiB defaults allow in flight.
            kestrel.Limits.Http2.InitialConnectionWindowSize = 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 768 * 1024;
            if (endpoints.ClientKeepAlive > TimeSpan.Zero)
            {
                // A client that vanished without a FIN or RST (host down, partition) would otherwise hold its calls,
                // and so its stack sockets, until the loopback/LAN TCP connection times out: minutes to hours.
                kestrel.Limits.Http2.KeepAlivePingDelay = endpoints.ClientKeepAlive;
                kestrel.Limits.Http2.KeepAlivePingTimeout = endpoints.ClientKeepAlive;
            }
        });
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = endpoints.MaxMessageBytes;
            o.MaxSendMessageSize = endpoints.MaxMessageBytes;
            if (endpoints.Token is { } token)
            {
                o.Interceptors.Add<BearerTokenInterceptor>(token);
            }
        });
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks()
            .AddCheck("stack", () => HealthCheckResult.Healthy("stack loop running"));
        builder.Services.AddSingleton<StackMetrics>();
        builder.Services.AddSingleton<CaptureMetrics>();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("mip-server"))
            .WithMetrics(m => m
                .AddMeter(StackMetrics.MeterName, CaptureMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        _ = mip;
    }

    public static void MapMipGrpc(WebApplication app, ServerEndpoints endpoints)
    {
        // Instruments exist from the first scrape.
        app.Services.GetRequiredService<StackMetrics>();
        app.Services.GetRequiredService<CaptureMetrics>();
        if (endpoints.MetricsPort != 0)
        {
            app.UseOpenTelemetryPrometheusScrapingEndpoint(ctx =>
                ctx.Connection.LocalPort == endpoints.MetricsPort && ctx.Request.Path == "/metrics");
        }
        app.MapGrpcService<StackGrpcService>();
        app.MapGrpcService<UdpGrpcService>();
        app.MapGrpcService<TcpGrpcService>();
        app.MapGrpcService<CaptureGrpcService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
    }
}
