namespace Mip.Stack.Sockets.Dns;

/// <summary>
/// Answers by lower-cased name, each kept until its TTL runs out (RFC 1035 §3.2.1, RFC 1034 §4.3.1). Bounded:
/// when full, expired entries go first, then the entry closest to expiring, which is the one worth least.
/// </summary>
internal sealed class DnsCache
{
    private readonly Dictionary<string, Entry> _entries;
    private readonly int _capacity;

    public DnsCache(int capacity)
    {
        _capacity = capacity;
        _entries = new Dictionary<string, Entry>(capacity, StringComparer.Ordinal);
    }

    public int Count => _entries.Count;

    /// <summary>Finds a live entry; <paramref name="remaining"/> is the time it has left.</summary>
    public bool TryGet(string key, Instant now, out DnsResult result, out TimeSpan remaining)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            if (entry.Expires > now)
            {
                result = entry.Result;
                remaining = entry.Expires - now;
                return true;
            }
            _entries.Remove(key);
        }
        result = null!;
        remaining = TimeSpan.Zero;
        return false;
    }

    /// <summary>Stores <paramref name="result"/> for <paramref name="ttl"/>; a zero TTL is not cached (RFC 1035 §3.2.1).</summary>
    public void Add(string key, DnsResult result, TimeSpan ttl, Instant now)
    {
        if (_capacity == 0 || ttl <= TimeSpan.Zero)
        {
            return;
        }
        if (_entries.Count >= _capacity && !_entries.ContainsKey(key))
        {
            MakeRoom(now);
        }
        _entries[key] = new Entry(result, now + ttl);
    }

    public void Flush() => _entries.Clear();

    private void MakeRoom(Instant now)
    {
        string? soonestKey = null;
        var soonest = Instant.MaxValue;
        List<string>? expired = null;
        foreach (var (key, entry) in _entries)
        {
            if (entry.Expires <= now)
            {
                (expired ??= []).Add(key);
            }
            else if (entry.Expires < soonest)
            {
                soonest = entry.Expires;
                soonestKey = key;
            }
        }
        if (expired is not null)
        {
            foreach (var key in expired)
            {
                _entries.Remove(key);
            }
            return;
        }
        if (soonestKey is not null)
        {
            _entries.Remove(soonestKey);
        }
    }

    private readonly record struct Entry(DnsResult Result, Instant Expires);
}
