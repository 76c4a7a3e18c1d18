using Mip.Stack.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dhcp;

/// <summary>
/// A lease as the client uses it. <paramref name="AcquiredAt"/> is when the lease clock started: the time the
/// answered DHCPREQUEST was first sent (RFC 2131 §4.4.1), so every deadline errs early. Times are relative to it;
/// <see cref="Infinite"/> marks an infinite lease (0xFFFFFFFF seconds, RFC 2131 §3.3), which is never renewed.
/// </summary>
public sealed record DhcpLease(
    Ipv4Address Address,
    Ipv4Address Mask,
    Ipv4Address Gateway,
    IReadOnlyList<Ipv4Address> DnsServers,
    string? DomainName,
    Ipv4Address ServerId,
    TimeSpan LeaseDuration,
    TimeSpan RenewalTime,
    TimeSpan RebindingTime,
    Instant AcquiredAt,
    ushort? Mtu)
{
    public static readonly TimeSpan Infinite = TimeSpan.MaxValue;

    public bool IsInfinite => LeaseDuration == Infinite;

    /// <summary>T1: start unicasting renewals.</summary>
    public Instant RenewAt => IsInfinite ? Instant.MaxValue : AcquiredAt + RenewalTime;

    /// <summary>T2: start broadcasting renewals.</summary>
    public Instant RebindAt => IsInfinite ? Instant.MaxValue : AcquiredAt + RebindingTime;

    /// <summary>The address must not be used from this instant on (RFC 2131 §4.4.5).</summary>
    public Instant ExpiresAt => IsInfinite ? Instant.MaxValue : AcquiredAt + LeaseDuration;

    public Ipv4Config ToConfig() => new(Address, Mask, Gateway, DnsServers);

    public override string ToString() =>
        $"{Address}/{Mask.PrefixLength} gw {Gateway} dns [{string.Join(", ", DnsServers)}] from {ServerId} " +
        $"for {(IsInfinite ? "ever" : LeaseDuration.ToString())}";
}
