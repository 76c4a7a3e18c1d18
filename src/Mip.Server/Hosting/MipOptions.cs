using Mip.Stack.Wire;

namespace Mip.Server.Hosting;

/// <summary>
/// The server's configuration, bound from the "Mip" section (appsettings, MIP__* environment variables, or the
/// command line: <c>--interface my0 --netns mip-demo-stack --ip 192.168.2.5/24 --gateway 192.168.2.1</c>).
/// </summary>
public sealed class MipOptions
{
    public const string Section = "Mip";

    /// <summary>The interface the stack opens with libpcap. Required: the service never picks one by itself.</summary>
    public string? Interface { get; set; }

    /// <summary>
    /// The network namespace that holds <see cref="Interface"/> (a name under /var/run/netns). Only the capture
    /// socket enters it; the process and its gRPC port stay where they are. Empty = the current namespace.
    /// </summary>
    public string? Netns { get; set; }

    /// <summary>The stack's MAC. Default: a locally administered MAC derived from the interface name.</summary>
    public string? Mac { get; set; }

    /// <summary>Static address with prefix, e.g. 192.168.2.5/24. Empty = DHCP.</summary>
    public string? Ip { get; set; }

    /// <summary>Default gateway for a static address.</summary>
    public string? Gateway { get; set; }

    /// <summary>DNS servers, comma separated; used in addition to those DHCP provides.</summary>
    public string? Dns { get; set; }

    /// <summary>Host name sent in DHCP requests (option 12).</summary>
    public string? Hostname { get; set; } = "mip";

    /// <summary>Answer UDP datagrams on this port with the same bytes (0 = off). Handy on a lab bench.</summary>
    public int UdpEchoPort { get; set; }

    /// <summary>
    /// Serve the demo HTTP/1.1 server (status page, /bytes/N, POST /sink) on this TCP port of the stack's address
    /// (0 = off, the default; the demo script uses 80).
    /// </summary>
    public int HttpPort { get; set; }

    /// <summary>Open connections the demo HTTP server accepts at most; more are reset.</summary>
    public int HttpMaxConnections { get; set; } = 64;

    /// <summary>Resolve these names (comma separated) once configured and log the answers: the demo's visible step.</summary>
    public string? ResolveOnReady { get; set; }

    /// <summary>Write every frame the stack sends or receives to this pcap file (for tshark/Wireshark).</summary>
    public string? PcapFile { get; set; }

    /// <summary>TCP port of the gRPC endpoint (HTTP/2 without TLS, h2c). Default 50051.</summary>
    public int GrpcPort { get; set; } = 50051;

    /// <summary>Address the gRPC endpoint binds. Default 127.0.0.1: exposing sockets on a stack is a privilege.</summary>
    public string GrpcAddress { get; set; } = "127.0.0.1";

    /// <summary>TCP port of the Prometheus <c>/metrics</c> endpoint (HTTP/1.1, on <see cref="GrpcAddress"/>); 0 = off. Default 9464.</summary>
    public int MetricsPort { get; set; } = 9464;

    /// <summary>
    /// Bearer token every gRPC call must carry (<c>authorization: Bearer TOKEN</c>), except health checks. Empty = no
    /// authentication. Also read from the MIP_TOKEN environment variable.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>Sockets one gRPC client (peer) may hold at once. Default 256.</summary>
    public int MaxSocketsPerClient { get; set; } = 256;

    /// <summary>
    /// Seconds without any frame from a gRPC client before the server pings it, and again before it gives up on the
    /// connection (HTTP/2 PING). A client that vanished without closing its TCP connection (host down, cable pulled,
    /// network partition) thus loses its calls, and its sockets, after at most twice this. Default 20; 0 = off.
    /// </summary>
    public int ClientKeepAliveSeconds { get; set; } = 20;

    /// <summary>Largest gRPC message accepted or sent, in bytes. Default 4 MiB (a 1 MiB TCP write plus framing fits).</summary>
    public int MaxMessageBytes { get; set; } = 4 * 1024 * 1024;
}
