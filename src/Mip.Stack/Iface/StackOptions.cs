using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Sockets.Dns;
using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>Configuration of a <see cref="NetStack"/>. Every setting but the MAC has a documented default.</summary>
public sealed class StackOptions
{
    /// <summary>The interface's MAC address. Use one distinct from the host's so the host kernel never sees the stack's flows.</summary>
    public required MacAddress Mac { get; init; }

    /// <summary>A fixed IPv4 configuration; null (the default) means the DHCP client configures the interface.</summary>
    public Ipv4Config? StaticIpv4 { get; init; }

    /// <summary>Host name sent by the DHCP client (option 12). Default: none.</summary>
    public string? DhcpHostname { get; init; }

    /// <summary>DNS servers used in addition to (after) those learned from DHCP. Default: none.</summary>
    public IReadOnlyList<Ipv4Address> DnsServers { get; init; } = [];

    /// <summary>TTL of datagrams this stack originates. Default 64 (Linux's default, RFC 1700 recommends 64).</summary>
    public byte DefaultTtl { get; init; } = 64;

    /// <summary>How long a resolved ARP entry is trusted without confirmation. Default 60 s (RFC 1122 §2.3.2.1 asks for a timeout).</summary>
    public TimeSpan ArpEntryLifetime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Minimum time between ARP requests for one destination. Default 1 s (RFC 1122 §2.3.2.1: at most one per second).</summary>
    public TimeSpan ArpRequestInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Outgoing datagrams held per destination while its address is being resolved. Default 8 (RFC 1122 §2.3.2.2).</summary>
    public int ArpPendingPacketsPerDestination { get; init; } = 8;

    /// <summary>Memory for incomplete datagrams being reassembled. Default 256 KiB.</summary>
    public int ReassemblyMemoryLimitBytes { get; init; } = 256 * 1024;

    /// <summary>How long fragments of one datagram wait for the rest. Default 30 s (RFC 1122 §3.3.2 suggests 60-120 s; Linux uses 30 s).</summary>
    public TimeSpan ReassemblyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Datagrams queued per UDP socket before new ones are dropped. Default 256.</summary>
    public int UdpReceiveQueueDatagrams { get; init; } = 256;

    /// <summary>
    /// DHCP client settings when <see cref="StaticIpv4"/> is null. Default: RFC 2131/5227 timings with
    /// <see cref="DhcpHostname"/> as option 12.
    /// </summary>
    public DhcpClientOptions? Dhcp { get; init; }

    /// <summary>
    /// Whether the DHCP client runs when <see cref="StaticIpv4"/> is null. False leaves the interface unconfigured
    /// (UDP port 68 free) until an address is applied some other way. Default true.
    /// </summary>
    public bool DhcpEnabled { get; init; } = true;

    /// <summary>DNS resolver settings (timeouts, attempts, cache size). Default: <see cref="DnsResolverOptions"/>'s.</summary>
    public DnsResolverOptions Dns { get; init; } = new();

    /// <summary>How long a closed connection stays in TIME_WAIT (2·MSL, RFC 9293 §3.4.2). Default 60 s (Linux).</summary>
    public TimeSpan TcpTimeWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Most connections kept in TIME_WAIT; beyond it the oldest is dropped (Linux's tcp_max_tw_buckets idea). Default
    /// 4096.
    /// </summary>
    public int TcpMaxTimeWait { get; init; } = 4096;

    /// <summary>
    /// Half-open (SYN_RECEIVED) connections across all listeners; beyond it listeners answer with SYN cookies
    /// (RFC 4987 §3.6). Default 1024.
    /// </summary>
    public int TcpMaxHalfOpen { get; init; } = 1024;

    /// <summary>RFC 5961 §7 challenge ACKs per second, stack-wide (Linux's tcp_challenge_ack_limit). Default 1000.</summary>
    public int TcpChallengeAckLimit { get; init; } = 1000;
}
