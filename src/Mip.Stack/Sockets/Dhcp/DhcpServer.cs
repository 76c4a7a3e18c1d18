using Mip.Stack.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dhcp;

/// <summary>
/// A DHCP server for the interface's own subnet (RFC 2131 §4.3), like Mongoose MIP's: it offers addresses from a pool
/// (or a fixed one per MAC), reserves an offer for <see cref="DhcpServerOptions.OfferHoldTime"/>, binds on REQUEST,
/// renews, takes addresses back on RELEASE and expiry, and keeps DECLINEd addresses out of the pool for a while.
/// Clients are identified by their hardware address ('chaddr', RFC 2131 §4.2). Leases live in memory only. Relay
/// agents are answered through 'giaddr'. Driven by the stack: <see cref="OnDatagram"/> gets what arrives on port 67,
/// <see cref="Poll"/> expires leases.
/// </summary>
public sealed partial class DhcpServer : IStackComponent
{
    /// <summary>Room for any reply: 240 bytes of header and cookie plus bounded options (a 63-entry DNS list at most).</summary>
    private const int ReplyBufferLength = 1024;

    private readonly IDhcpServerHost _host;
    private readonly DhcpServerOptions _options;
    private readonly Dictionary<MacAddress, Binding> _byMac = [];
    private readonly Dictionary<Ipv4Address, Binding> _byAddress = [];
    private readonly Dictionary<Ipv4Address, Instant> _declined = [];
    private readonly Dictionary<Ipv4Address, MacAddress> _staticOwners = [];
    private readonly byte[] _reply = new byte[ReplyBufferLength];
    private uint _cursor;

    internal DhcpServer(IDhcpServerHost host, DhcpServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(options);
        var config = host.Ipv4 ?? throw new ArgumentException("The DHCP server needs a statically configured interface.", nameof(host));
        options.Validate(config);
        _host = host;
        _options = options;
        _cursor = options.PoolStart.Value;
        foreach (var (mac, address) in options.StaticBindings)
        {
            if (!_staticOwners.TryAdd(address, mac))
            {
                throw new ArgumentException($"{address} is bound statically to two clients.", nameof(options));
            }
        }
    }

    public DhcpServerCounters Counters { get; } = new();

    /// <summary>The earliest offer, lease or decline hold to run out; <see cref="Instant.MaxValue"/> when none.</summary>
    public Instant NextDeadline
    {
        get
        {
            var next = Instant.MaxValue;
            foreach (var b in _byMac.Values)
            {
                next = Instant.Min(next, b.ExpiresAt);
            }
            foreach (var until in _declined.Values)
            {
                next = Instant.Min(next, until);
            }
            return next;
        }
    }

    /// <summary>The offers and leases held now, by address.</summary>
    public IReadOnlyList<DhcpServerLease> GetLeases()
    {
        var leases = new List<DhcpServerLease>(_byMac.Count);
        foreach (var b in _byMac.Values)
        {
            leases.Add(new DhcpServerLease(b.Mac, b.Address, b.ExpiresAt, b.IsOffered));
        }
        leases.Sort(static (a, b) => a.Address.Value.CompareTo(b.Address.Value));
        return leases;
    }

    /// <summary>Addresses a client declined, kept out of the pool until the given instant.</summary>
    public IReadOnlyDictionary<Ipv4Address, Instant> DeclinedAddresses => _declined;

    /// <summary>Frees offers and leases whose time ran out (RFC 2131 §4.3.1: the address may then go to another client).</summary>
    public void Poll(Instant now)
    {
        List<Binding>? expired = null;
        foreach (var b in _byMac.Values)
        {
            if (now >= b.ExpiresAt)
            {
                (expired ??= []).Add(b);
            }
        }
        if (expired is not null)
        {
            foreach (var b in expired)
            {
                Remove(b);
                Counters.Expired++;
            }
        }
        List<Ipv4Address>? released = null;
        foreach (var (address, until) in _declined)
        {
            if (now >= until)
            {
                (released ??= []).Add(address);
            }
        }
        if (released is not null)
        {
            foreach (var address in released)
            {
                _declined.Remove(address);
            }
        }
    }

    /// <summary>
    /// The address for a new offer to <paramref name="mac"/>, in RFC 2131 §4.3.1's order: the client's current
    /// binding; its static address; the address it asked for (option 50) when valid and free; else the next free
    /// address of the pool, searched round-robin so a just-freed address is not handed straight to someone else.
    /// </summary>
    private Ipv4Address? ChooseAddress(MacAddress mac, Ipv4Address? requested, Instant now)
    {
        if (_byMac.TryGetValue(mac, out var current))
        {
            return current.Address;
        }
        if (_options.StaticBindings.TryGetValue(mac, out var fixedAddress))
        {
            return IsFree(fixedAddress, mac, now) ? fixedAddress : null;
        }
        if (requested is { } wanted && InPool(wanted) && IsFree(wanted, mac, now))
        {
            return wanted;
        }
        uint start = _options.PoolStart.Value, end = _options.PoolEnd.Value;
        ulong size = (ulong)end - start + 1;
        for (ulong i = 0; i < size; i++)
        {
            var candidate = new Ipv4Address(_cursor);
            _cursor = _cursor == end ? start : _cursor + 1;
            if (IsFree(candidate, mac, now))
            {
                return candidate;
            }
        }
        return null;
    }

    private bool InPool(Ipv4Address address) =>
        address.Value >= _options.PoolStart.Value && address.Value <= _options.PoolEnd.Value;

    /// <summary>
    /// Whether <paramref name="address"/> may go to <paramref name="client"/>: not bound or offered, not declined, not
    /// our own, not the subnet's network or broadcast address, and not some other client's static address.
    /// </summary>
    private bool IsFree(Ipv4Address address, MacAddress client, Instant now)
    {
        var config = _host.Ipv4!;
        if (!config.IsOnLink(address) || address == config.Address || address == config.BroadcastAddress
            || address.Value == (config.Address.Value & config.Mask.Value) || _byAddress.ContainsKey(address)
            || (_declined.TryGetValue(address, out var until) && now < until))
        {
            return false;
        }
        return !_staticOwners.TryGetValue(address, out var owner) || owner == client;
    }

    private Binding Bind(MacAddress mac, Ipv4Address address, Instant expiresAt, bool offered)
    {
        if (_byMac.TryGetValue(mac, out var existing) && existing.Address != address)
        {
            Remove(existing);
        }
        if (!_byMac.TryGetValue(mac, out var binding))
        {
            binding = new Binding(mac, address);
            _byMac.Add(mac, binding);
            _byAddress.Add(address, binding);
        }
        binding.ExpiresAt = expiresAt;
        binding.IsOffered = offered;
        return binding;
    }

    private void Remove(Binding binding)
    {
        _byMac.Remove(binding.Mac);
        _byAddress.Remove(binding.Address);
    }

    /// <summary>One client's address, offered or bound.</summary>
    private sealed class Binding(MacAddress mac, Ipv4Address address)
    {
        public MacAddress Mac { get; } = mac;
        public Ipv4Address Address { get; } = address;
        public Instant ExpiresAt { get; set; }
        public bool IsOffered { get; set; }
    }
}
