using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>
/// Path MTU estimates learned from ICMP "fragmentation needed" (RFC 1191). Small and bounded: when full, the entry
/// closest to expiry is replaced. Estimates expire so that a path whose MTU grew is rediscovered (RFC 1191 §6.3
/// suggests 10 minutes).
/// </summary>
internal sealed class PathMtuCache
{
    /// <summary>
    /// Lowest estimate accepted. RFC 791 allows 68, but every host must accept 576-byte datagrams (RFC 1122 §3.3.3),
    /// and a floor keeps a forged ICMP message from making us send tiny fragments.
    /// </summary>
    public const int MinimumMtu = 576;

    private readonly Entry[] _entries;
    private readonly TimeSpan _lifetime;

    public PathMtuCache(int capacity, TimeSpan lifetime)
    {
        _entries = new Entry[capacity];
        _lifetime = lifetime;
    }

    /// <summary>The estimate for <paramref name="destination"/>, or <paramref name="linkMtu"/> when none is known.</summary>
    public int Get(Ipv4Address destination, int linkMtu, Instant now)
    {
        foreach (ref readonly var e in _entries.AsSpan())
        {
            if (e.InUse && e.Destination == destination && now < e.ExpiresAt)
            {
                return Math.Min(e.Mtu, linkMtu);
            }
        }
        return linkMtu;
    }

    /// <summary>Records a smaller MTU for <paramref name="destination"/>; estimates never grow here (RFC 1191 §3).</summary>
    public void Reduce(Ipv4Address destination, int mtu, int linkMtu, Instant now)
    {
        mtu = Math.Clamp(mtu, MinimumMtu, linkMtu);
        int victim = 0;
        for (int i = 0; i < _entries.Length; i++)
        {
            ref var e = ref _entries[i];
            if (e.InUse && e.Destination == destination && now < e.ExpiresAt)
            {
                if (mtu < e.Mtu)
                {
                    e.Mtu = mtu;
                    e.ExpiresAt = now + _lifetime;
                }
                return;
            }
            if (!_entries[victim].InUse)
            {
                continue;
            }
            if (!e.InUse || e.ExpiresAt < _entries[victim].ExpiresAt)
            {
                victim = i;
            }
        }
        _entries[victim] = new Entry { InUse = true, Destination = destination, Mtu = mtu, ExpiresAt = now + _lifetime };
    }

    public void Expire(Instant now)
    {
        foreach (ref var e in _entries.AsSpan())
        {
            if (e.InUse && now >= e.ExpiresAt)
            {
                e.InUse = false;
            }
        }
    }

    public Instant NextDeadline
    {
        get
        {
            var next = Instant.MaxValue;
            foreach (ref readonly var e in _entries.AsSpan())
            {
                if (e.InUse)
                {
                    next = Instant.Min(next, e.ExpiresAt);
                }
            }
            return next;
        }
    }

    private struct Entry
    {
        public bool InUse;
        public Ipv4Address Destination;
        public int Mtu;
        public Instant ExpiresAt;
    }
}
