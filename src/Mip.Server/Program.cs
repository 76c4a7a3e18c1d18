using Mip.Server.Demo;
using Mip.Server.Grpc;
using Mip.Server.Grpc.Capture;
using Mip.Server.Hosting;
using Mip.Server.Metrics;
using Mip.Stack.Iface;
using Mip.Stack.Pcap;
using Mip.Stack.Phy;

namespace Mip.Server;

internal static class Program
{
    // Short command-line switches for the "Mip" configuration section.
    private static readonly Dictionary<string, string> Switches = new()
    {
        ["--interface"] = "Mip:Interface",
        ["--netns"] = "Mip:Netns",
        ["--mac"] = "Mip:Mac",
        ["--ip"] = "Mip:Ip",
        ["--gateway"] = "Mip:Gateway",
        ["--dns"] = "Mip:Dns",
        ["--hostname"] = "Mip:Hostname",
        ["--udp-echo-port"] = "Mip:UdpEchoPort",
        ["--http-port"] = "Mip:HttpPort",
        ["--http-max-connections"] = "Mip:HttpMaxConnections",
        ["--resolve-on-ready"] = "Mip:ResolveOnReady",
        ["--pcap-file"] = "Mip:PcapFile",
        ["--grpc-port"] = "Mip:GrpcPort",
        ["--grpc-address"] = "Mip:GrpcAddress",
        ["--metrics-port"] = "Mip:MetricsPort",
        ["--token"] = "Mip:Token",
        ["--max-sockets-per-client"] = "Mip:MaxSocketsPerClient",
        ["--max-message-bytes"] = "Mip:MaxMessageBytes",
        ["--client-keepalive-seconds"] = "Mip:ClientKeepAliveSeconds",
    };

    private static int Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        // Quiet defaults: one line per gRPC call (ASP.NET Core's request logs), or a stack trace each time a client
        // ends a stream it no longer wants (the gRPC handler logs that cancellation at Information), would drown the
        // stack's own events. Overridable like any setting: MIP_Logging__LogLevel__Microsoft.AspNetCore=Information.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
            ["Logging:LogLevel:Grpc.AspNetCore.Server.ServerCallHandler"] = "Warning",
        });
        builder.Configuration.AddEnvironmentVariables("MIP_");
        builder.Configuration.AddCommandLine(args, Switches);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });

        var mip = builder.Configuration.GetSection(MipOptions.Section).Get<MipOptions>() ?? new MipOptions();
        // MIP_TOKEN (not MIP_MIP__TOKEN): the name a user expects for a secret kept out of the command line.
        if (string.IsNullOrEmpty(mip.Token))
        {
            mip.Token = builder.Configuration["TOKEN"];
        }
        StackOptions stackOptions;
        ServerEndpoints endpoints;
        try
        {
            stackOptions = StackConfiguration.Build(mip);
            endpoints = ServerEndpoints.Parse(mip);
        }
        catch (OptionsException ex)
        {
            Console.Error.WriteLine($"mip-server: {ex.Message}");
            return 2;
        }

        if (mip.HttpPort is < 0 or > 65535 || mip.HttpMaxConnections < 1)
        {
            Console.Error.WriteLine("mip-server: --http-port must be 0-65535 and --http-max-connections at least 1");
            return 2;
        }

        PcapDevice pcap;
        try
        {
            pcap = PcapDevice.Open(new PcapDeviceOptions { Interface = mip.Interface!, Namespace = NullIfEmpty(mip.Netns) });
        }
        catch (PcapDeviceException ex)
        {
            Console.Error.WriteLine($"mip-server: {ex.Message}");
            return 3;
        }

        PcapFileWriter? capture = null;
        try
        {
            if (!string.IsNullOrWhiteSpace(mip.PcapFile))
            {
                capture = new PcapFileWriter(File.Create(mip.PcapFile));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"mip-server: cannot write --pcap-file {mip.PcapFile}: {ex.Message}");
            pcap.Dispose();
            return 2;
        }

        using (pcap)
        using (capture)
        using (var waiter = new PcapLoopWaiter(pcap))
        {
            var clock = StackClock.FromMonotonic();
            INetworkDevice inner = capture is null
                ? pcap
                : new PcapWriterDevice(pcap, capture, () => MonotonicClock.Now, clock.Epoch);
            var tap = new CaptureTap(inner, () => MonotonicClock.Now, clock);
            builder.Services.AddSingleton(mip);
            builder.Services.AddSingleton(stackOptions);
            builder.Services.AddSingleton(clock);
            builder.Services.AddSingleton(tap);
            builder.Services.AddSingleton<INetworkDevice>(tap);
            builder.Services.AddSingleton(pcap);
            builder.Services.AddSingleton<ILoopWaiter>(waiter);
            builder.Services.AddSingleton(sp => new StackEventLogger(sp.GetRequiredService<ILogger<StackEventLogger>>(), Console.Out));
            builder.Services.AddSingleton<DemoServices>();
            builder.Services.AddSingleton<StackBridge>();
            builder.Services.AddSingleton(new CountersPublisher(pcap));
            builder.Services.AddSingleton(new HttpDemoOptions { Port = (ushort)mip.HttpPort, MaxConnections = mip.HttpMaxConnections });
            builder.Services.AddSingleton<HttpDemoServer>();
            builder.Services.AddSingleton<StackHostedService>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<StackHostedService>());
            GrpcSetup.AddMipGrpc(builder, mip, endpoints);
            var app = builder.Build();
            GrpcSetup.MapMipGrpc(app, endpoints);
            app.Run();
        }
        return 0;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
