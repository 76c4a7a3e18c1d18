using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dns;

/// <summary>The outcome of one <c>DnsResolver.BeginResolve</c>.</summary>
/// <param name="Status">How the resolution ended.</param>
/// <param name="Name">The name as the caller gave it.</param>
/// <param name="CanonicalName">The end of the CNAME chain (the name that owns the addresses), without the trailing dot;
/// null when no answer was received.</param>
/// <param name="Addresses">The IPv4 addresses, in the order the server gave them; empty unless <see cref="Status"/> is
/// Success.</param>
/// <param name="Ttl">How long the answer may be used: the smallest TTL along the chain, clamped by the options (for a
/// cache hit, the time left).</param>
/// <param name="Server">The server that answered; <see cref="Ipv4Address.Any"/> when none did.</param>
public sealed record DnsResult(
    DnsResolveStatus Status,
    string Name,
    string? CanonicalName,
    IReadOnlyList<Ipv4Address> Addresses,
    TimeSpan Ttl,
    Ipv4Address Server)
{
    /// <summary>True when the answer came from the resolver's cache.</summary>
    public bool FromCache { get; init; }

    /// <summary>A human-readable reason for a failure (e.g. why a name is invalid), or null.</summary>
    public string? Detail { get; init; }

    internal static DnsResult Failed(DnsResolveStatus status, string name, string? detail = null) =>
        new(status, name, null, [], TimeSpan.Zero, Ipv4Address.Any) { Detail = detail };
}
