using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>Identifies the fragments of one datagram (RFC 791 §3.2: source, destination, protocol, identification).</summary>
internal readonly record struct FragmentKey(Ipv4Address Source, Ipv4Address Destination, byte Protocol, ushort Identification);

internal enum ReassemblyStatus : byte
{
    Incomplete,
    Complete,
    Dropped,
}

/// <summary>
/// TEMPORARY minimal reassembler (RFC 791 §3.2, RFC 1122 §3.3.2) so the core branch builds and is tested end to end;
/// the real one (bounded storage, hole list, overlap policy) replaces this file at merge. It keeps one buffer per
/// datagram sized to the highest byte seen, a byte-coverage bitmap, and a deadline from the first fragment.
/// </summary>
internal sealed class Ipv4Reassembler
{
    private readonly int _memoryLimit;
    private readonly TimeSpan _timeout;
    private readonly Dictionary<FragmentKey, Pending> _pending = [];
    private byte[] _completed = [];

    public Ipv4Reassembler(int memoryLimitBytes, TimeSpan timeout)
    {
        _memoryLimit = memoryLimitBytes;
        _timeout = timeout;
    }

    public int MemoryInUse { get; private set; }

    public long DroppedForMemory { get; private set; }

    public Instant NextDeadline
    {
        get
        {
            var next = Instant.MaxValue;
            foreach (var p in _pending.Values)
            {
                next = Instant.Min(next, p.Deadline);
            }
            return next;
        }
    }

    public ReassemblyStatus Add(in FragmentKey key, int offsetBytes, bool moreFragments, ReadOnlySpan<byte> payload,
        Instant now, out ReadOnlySpan<byte> datagram)
    {
        datagram = default;
        int end = offsetBytes + payload.Length;
        // RFC 791: the reassembled payload must fit in a 65535-byte datagram; non-final fragments are 8-byte multiples.
        if (end > Ipv4Packet.MaxLength - Ipv4Packet.MinHeaderLength || (moreFragments && payload.Length % 8 != 0))
        {
            Discard(key);
            return ReassemblyStatus.Dropped;
        }
        if (!_pending.TryGetValue(key, out var p))
        {
            p = new Pending { Deadline = now + _timeout };
            _pending.Add(key, p);
        }
        if (end > p.Data.Length)
        {
            int grow = end - p.Data.Length;
            if (MemoryInUse + grow > _memoryLimit)
            {
                Discard(key);
                DroppedForMemory++;
                return ReassemblyStatus.Dropped;
            }
            Array.Resize(ref p.Data, end);
            Array.Resize(ref p.Have, end);
            MemoryInUse += grow;
        }
        payload.CopyTo(p.Data.AsSpan(offsetBytes));
        p.Have.AsSpan(offsetBytes, payload.Length).Fill(true);
        if (!moreFragments)
        {
            if (p.TotalLength >= 0 && p.TotalLength != end)
            {
                Discard(key);
                return ReassemblyStatus.Dropped;
            }
            p.TotalLength = end;
        }
        if (p.TotalLength < 0 || p.Data.Length != p.TotalLength || p.Have.AsSpan().Contains(false))
        {
            return ReassemblyStatus.Incomplete;
        }
        _completed = p.Data;
        Discard(key);
        datagram = _completed;
        return ReassemblyStatus.Complete;
    }

    public int Expire(Instant now)
    {
        int expired = 0;
        foreach (var (key, p) in _pending)
        {
            if (now >= p.Deadline)
            {
                Discard(key);
                expired++;
            }
        }
        return expired;
    }

    private void Discard(in FragmentKey key)
    {
        if (_pending.Remove(key, out var p))
        {
            MemoryInUse -= p.Data.Length;
        }
    }

    private sealed class Pending
    {
        public byte[] Data = [];
        public bool[] Have = [];
        public int TotalLength = -1;
        public Instant Deadline;
    }
}
