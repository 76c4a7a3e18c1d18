using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>
/// The neighbour table: IPv4 address to MAC, with per-entry state, request bookkeeping and a bounded queue of
/// datagrams waiting for resolution. Pure data: the ARP protocol logic lives in <c>NetStack.Arp.cs</c>.
/// </summary>
internal sealed class ArpCache
{
    private readonly Dictionary<Ipv4Address, ArpCacheEntry> _entries = [];
    private readonly int _capacity;

    public ArpCache(int capacity) => _capacity = capacity;

    public int Count => _entries.Count;

    /// <summary>Bumped whenever an entry leaves the table, so holders of a cached entry (TCP sockets) know to look again.</summary>
    public int Version { get; private set; }

    public bool TryGet(Ipv4Address ip, out ArpCacheEntry entry) => _entries.TryGetValue(ip, out entry!);

    /// <summary>
    /// Adds an entry, evicting the least recently confirmed resolved entry when full. Returns null when the table is
    /// full of incomplete entries (resolution in progress everywhere), so an unbounded number of unresolvable
    /// destinations cannot grow it.
    /// </summary>
    public ArpCacheEntry? Add(Ipv4Address ip, Instant now, out ArpCacheEntry? evicted)
    {
        evicted = null;
        if (_entries.Count >= _capacity)
        {
            foreach (var e in _entries.Values)
            {
                if (e.State != ArpEntryState.Incomplete && (evicted is null || e.ConfirmedAt < evicted.ConfirmedAt))
                {
                    evicted = e;
                }
            }
            if (evicted is null)
            {
                return null;
            }
            _entries.Remove(evicted.Ip);
            Version++;
        }
        var entry = new ArpCacheEntry(ip, now);
        _entries.Add(ip, entry);
        return entry;
    }

    public void Remove(ArpCacheEntry entry)
    {
        _entries.Remove(entry.Ip);
        Version++;
    }

    public Dictionary<Ipv4Address, ArpCacheEntry>.ValueCollection Entries => _entries.Values;
}

/// <summary>One neighbour. Mutable, owned by the stack thread.</summary>
internal sealed class ArpCacheEntry(Ipv4Address ip, Instant createdAt)
{
    public Ipv4Address Ip { get; } = ip;
    public MacAddress Mac { get; set; }
    public ArpEntryState State { get; set; } = ArpEntryState.Incomplete;

    /// <summary>When the entry was created (incomplete) or last confirmed by an ARP packet from the neighbour.</summary>
    public Instant ConfirmedAt { get; set; } = createdAt;

    /// <summary>When a Reachable entry turns Stale.</summary>
    public Instant ExpiresAt { get; set; }

    /// <summary>Requests sent in the current resolution or revalidation round, and when the last one went out.</summary>
    public int RequestsSent { get; set; }
    public Instant LastRequestAt { get; set; }

    /// <summary>Whether traffic used this entry since it was last confirmed (only used entries are revalidated).</summary>
    public bool UsedSinceConfirmed { get; set; }

    /// <summary>Datagrams waiting for this neighbour's MAC (allocated on first use, then reused).</summary>
    public Queue<PendingDatagram>? Pending { get; set; }
}

/// <summary>An outgoing IPv4 payload parked until ARP resolves its next hop. <see cref="Buffer"/> is rented from the shared pool.</summary>
internal readonly record struct PendingDatagram(
    byte[] Buffer, int Length, Ipv4Address Source, Ipv4Address Destination, IpProtocol Protocol, bool DontFragment)
{
    public ReadOnlySpan<byte> Payload => Buffer.AsSpan(0, Length);
}
