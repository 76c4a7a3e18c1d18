using Mip.Stack.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dhcp;

/// <summary>
/// Settings of the stack's DHCP server (RFC 2131 §4.3). The server runs on a statically configured interface and
/// hands out addresses of its subnet; the pool is required, everything else has a documented default.
/// </summary>
public sealed class DhcpServerOptions
{
    /// <summary>First address of the dynamic pool (inclusive). Must be on the interface's subnet.</summary>
    public required Ipv4Address PoolStart { get; init; }

    /// <summary>Last address of the dynamic pool (inclusive). Must be on the interface's subnet, not below the start.</summary>
    public required Ipv4Address PoolEnd { get; init; }

    /// <summary>Lease duration (option 51). Default 1 hour. T1 and T2 are sent as 1/2 and 7/8 of it (RFC 2131 §4.4.5).</summary>
    public TimeSpan LeaseTime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long an offered address stays reserved for the client it was offered to. Default 60 s.</summary>
    public TimeSpan OfferHoldTime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an address a client declined (RFC 2131 §4.3.3: in use elsewhere) is kept out of the pool. Default 1 hour.</summary>
    public TimeSpan DeclineHoldTime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Router (option 3). Default: the interface's gateway when it has one, else none.</summary>
    public Ipv4Address? Router { get; init; }

    /// <summary>DNS servers (option 6). Default: the interface's configured DNS servers.</summary>
    public IReadOnlyList<Ipv4Address>? DnsServers { get; init; }

    /// <summary>Domain name (option 15). Default: none.</summary>
    public string? DomainName { get; init; }

    /// <summary>Fixed addresses by client MAC; they need not lie inside the pool but must be on the subnet. Default: none.</summary>
    public IReadOnlyDictionary<MacAddress, Ipv4Address> StaticBindings { get; init; } = new Dictionary<MacAddress, Ipv4Address>();

    /// <summary>Checks the options against the interface the server runs on; throws <see cref="ArgumentException"/> when they do not fit.</summary>
    internal void Validate(Ipv4Config config)
    {
        if (!config.IsOnLink(PoolStart) || !config.IsOnLink(PoolEnd) || PoolStart.Value > PoolEnd.Value)
        {
            throw new ArgumentException($"The pool {PoolStart}-{PoolEnd} must be an ascending range inside {config.Address}'s subnet.");
        }
        if (LeaseTime < TimeSpan.FromSeconds(1) || LeaseTime.TotalSeconds >= uint.MaxValue)
        {
            // uint.MaxValue seconds means "infinite" on the wire (RFC 2131 §3.3); a finite lease must stay below it.
            throw new ArgumentException($"The lease time must be between 1 s and 2^32 - 2 s, not {LeaseTime}.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(OfferHoldTime, TimeSpan.Zero, nameof(OfferHoldTime));
        ArgumentOutOfRangeException.ThrowIfLessThan(DeclineHoldTime, TimeSpan.Zero, nameof(DeclineHoldTime));
        if (DomainName is { } domain && (domain.Length is 0 or > 255 || !System.Text.Ascii.IsValid(domain)))
        {
            throw new ArgumentException("The domain name must be 1 to 255 ASCII characters (RFC 2132 §3.17).");
        }
        if (DnsServers is { Count: > 63 })
        {
            // Option 6 holds at most 255 octets of addresses (RFC 2132 §2).
            throw new ArgumentException("At most 63 DNS servers fit in option 6.");
        }
        foreach (var (mac, address) in StaticBindings)
        {
            if (!mac.IsUnicast || mac == MacAddress.Zero || !config.IsOnLink(address) || address == config.Address
                || address == config.BroadcastAddress)
            {
                throw new ArgumentException($"Static binding {mac} -> {address} must map a unicast MAC to a host address of the subnet.");
            }
        }
    }
}
