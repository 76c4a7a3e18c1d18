using System.Buffers;

namespace Mip.Stack.Iface;

/// <summary>
/// Puts fragmented IPv4 datagrams back together (RFC 791 §3.2, reassembly procedure), bounded in memory and time.
/// </summary>
/// <remarks>
/// <para>Received data is tracked with a bitmap of 8-byte blocks per datagram, the fragment offset unit of RFC 791
/// §3.1: the exact equivalent of RFC 815's hole list, but with a fixed size (1 KiB per datagram slot) however the
/// fragments are cut, and it tells which bytes are already held, so overlaps can be compared.</para>
/// <para>Overlaps: identical bytes (duplicates, retransmitted fragments) are accepted; differing bytes drop the whole
/// datagram, in the spirit of RFC 5722 (IPv6) and RFC 1858 (overlapping-fragment attacks): we cannot know which copy
/// is true, so we trust neither.</para>
/// <para>Time: each datagram's timer starts at its first fragment and is not extended by later ones (RFC 1122
/// §3.3.2; Linux does the same with 30 s).</para>
/// <para>Memory policy: <see cref="MemoryInUse"/> counts the pooled buffers held by pending datagrams (the real
/// rented sizes). When a fragment needs more than the bound allows, the <em>oldest</em> other pending datagrams are
/// evicted until it fits; if it still does not fit, its own datagram is dropped. We evict rather than refuse because
/// a datagram that lost a fragment sits for the whole timeout, while live ones complete within milliseconds: the
/// oldest entries are the ones least likely to ever complete. Each datagram given up this way counts in
/// <see cref="DroppedForMemory"/>. The number of concurrent datagrams is bounded the same way.</para>
/// <para>Single-threaded, no clock: time is passed in.</para>
/// </remarks>
internal sealed partial class Ipv4Reassembler
{
    /// <summary>
    /// Largest reassembled payload: a datagram's total length field is 16 bits (RFC 791 §3.1) and its header is at
    /// least 20 bytes. Bigger is the "ping of death" and is dropped.
    /// </summary>
    public const int MaxPayloadBytes = ushort.MaxValue - 20;

    /// <summary>Concurrent datagrams kept when the constructor does not say.</summary>
    public const int DefaultMaxDatagrams = 64;

    private readonly int _memoryLimit;
    private readonly TimeSpan _timeout;
    private readonly int _maxDatagrams;
    private readonly Dictionary<FragmentKey, PendingDatagram> _byKey = [];

    // Oldest first. Every deadline is first-arrival + the same timeout, so this is also deadline order.
    private readonly List<PendingDatagram> _byAge = [];
    private readonly Stack<PendingDatagram> _spare = new();

    // The buffer of the datagram last returned as Complete; back to the pool at the next call.
    private byte[]? _lent;

    public Ipv4Reassembler(int memoryLimitBytes, TimeSpan timeout)
        : this(memoryLimitBytes, timeout, DefaultMaxDatagrams)
    {
    }

    public Ipv4Reassembler(int memoryLimitBytes, TimeSpan timeout, int maxDatagrams)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(memoryLimitBytes);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDatagrams);
        _memoryLimit = memoryLimitBytes;
        _timeout = timeout;
        _maxDatagrams = maxDatagrams;
    }

    /// <summary>Bytes of pooled buffers held by incomplete datagrams; never above the limit.</summary>
    public int MemoryInUse { get; private set; }

    /// <summary>Datagrams waiting for more fragments.</summary>
    public int PendingDatagrams => _byAge.Count;

    /// <summary>When the oldest pending datagram times out; <see cref="Instant.MaxValue"/> when nothing is pending.</summary>
    public Instant NextDeadline => _byAge.Count == 0 ? Instant.MaxValue : _byAge[0].Deadline;

    /// <summary>Why the last <see cref="Add"/> that returned <see cref="ReassemblyStatus.Dropped"/> dropped.</summary>
    public ReassemblyDropReason LastDropReason { get; private set; }

    /// <summary>Datagrams given up to stay within the memory bound (evicted, or the one that did not fit).</summary>
    public long DroppedForMemory { get; private set; }

    /// <summary>Oldest datagrams evicted because the concurrent datagram limit was reached.</summary>
    public long DroppedForDatagramLimit { get; private set; }

    /// <summary>Fragments refused as malformed (oversize, misaligned, empty, inconsistent end), with their datagram.</summary>
    public long DroppedMalformed { get; private set; }

    /// <summary>Datagrams dropped because overlapping fragments carried different bytes.</summary>
    public long OverlapConflicts { get; private set; }

    /// <summary>Fragments that overlapped data already held, with identical bytes (accepted).</summary>
    public long OverlappingFragments { get; private set; }

    /// <summary>Datagrams reassembled.</summary>
    public long Completed { get; private set; }

    /// <summary>Datagrams discarded because their timer ran out.</summary>
    public long TimedOut { get; private set; }

    /// <summary>
    /// Adds one fragment. <paramref name="offsetBytes"/> is the fragment offset field times 8. On
    /// <see cref="ReassemblyStatus.Complete"/>, <paramref name="datagram"/> is the whole payload (no IP header),
    /// valid until the next call on this reassembler. A datagram that is not a fragment (offset 0, MF clear) is
    /// returned as is. <paramref name="header"/> is the fragment's IP header; the one of fragment zero is kept so a
    /// timeout can be reported with it (see <see cref="Expire(Instant, ReassemblyTimeoutHandler?)"/>).
    /// </summary>
    public ReassemblyStatus Add(
        in FragmentKey key, int offsetBytes, bool moreFragments, ReadOnlySpan<byte> payload, Instant now,
        out ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> header = default)
    {
        ReturnLent();
        datagram = default;
        LastDropReason = ReassemblyDropReason.None;

        if (offsetBytes == 0 && !moreFragments)
        {
            // RFC 791 §3.2: offset zero and MF clear is a whole datagram; nothing to reassemble.
            datagram = payload;
            return ReassemblyStatus.Complete;
        }

        _byKey.TryGetValue(key, out var pending);
        if (pending is not null && now >= pending.Deadline)
        {
            // Its time ran out before Expire was called: the late fragment starts a new datagram, as it would
            // have had Expire run on time.
            Release(pending);
            TimedOut++;
            pending = null;
        }

        int end = offsetBytes + payload.Length;
        var invalid = Validate(offsetBytes, moreFragments, payload.Length);
        if (invalid != ReassemblyDropReason.None)
        {
            return Drop(pending, invalid);
        }

        pending ??= Open(key, now);

        if (!moreFragments)
        {
            // RFC 791 §3.2: the last fragment fixes the total length. A different second "last" fragment, or data
            // already held beyond it, means the fragments do not describe one datagram.
            if ((pending.TotalLength >= 0 && pending.TotalLength != end) || pending.HighestEnd > end)
            {
                return Drop(pending, ReassemblyDropReason.InconsistentEnd);
            }
            pending.TotalLength = end;
        }
        else if (pending.TotalLength >= 0 && end > pending.TotalLength)
        {
            return Drop(pending, ReassemblyDropReason.InconsistentEnd);
        }

        if (!EnsureCapacity(pending, end))
        {
            return Drop(pending, ReassemblyDropReason.Memory);
        }

        var merge = pending.Merge(offsetBytes, payload);
        if (merge == MergeResult.Conflict)
        {
            return Drop(pending, ReassemblyDropReason.ConflictingOverlap);
        }
        if (offsetBytes == 0 && !header.IsEmpty)
        {
            pending.KeepFirstHeader(header);
        }
        if (merge == MergeResult.Overlapped)
        {
            OverlappingFragments++;
        }

        if (pending.TotalLength < 0 || pending.ReceivedBytes != pending.TotalLength)
        {
            return ReassemblyStatus.Incomplete;
        }

        // Every byte from 0 to the end is held: hand the buffer out until the next call.
        _lent = pending.Buffer;
        datagram = _lent.AsSpan(0, pending.TotalLength);
        pending.Buffer = null;
        MemoryInUse -= _lent!.Length;
        Release(pending);
        Completed++;
        return ReassemblyStatus.Complete;
    }

    /// <summary>Drops every datagram whose timer ran out at <paramref name="now"/> (RFC 1122 §3.3.2); returns how many.</summary>
    public int Expire(Instant now) => Expire(now, null);

    /// <summary>
    /// Drops every datagram whose timer ran out at <paramref name="now"/> (RFC 1122 §3.3.2) and returns how many.
    /// For each one whose fragment zero had arrived, <paramref name="onTimeout"/> first gets fragment zero's header
    /// followed by up to 8 payload bytes: RFC 1122 §3.3.2 says the host should then send ICMP Time Exceeded (code 1),
    /// which quotes exactly that (RFC 792).
    /// </summary>
    public int Expire(Instant now, ReassemblyTimeoutHandler? onTimeout)
    {
        ReturnLent();
        int expired = 0;
        Span<byte> quote = stackalloc byte[60 + 8];
        while (_byAge.Count > 0 && _byAge[0].Deadline <= now)
        {
            var oldest = _byAge[0];
            if (onTimeout is not null && oldest.FirstHeaderLength > 0 && oldest.HoldsFirstBlock)
            {
                int data = Math.Min(8, oldest.HighestEnd);
                oldest.FirstHeader.CopyTo(quote);
                oldest.Buffer.AsSpan(0, data).CopyTo(quote[oldest.FirstHeaderLength..]);
                onTimeout(oldest.Key, quote[..(oldest.FirstHeaderLength + data)]);
            }
            Release(oldest);
            TimedOut++;
            expired++;
        }
        return expired;
    }

    /// <summary>Drops everything pending and returns all buffers to the pool (teardown).</summary>
    public void Clear()
    {
        ReturnLent();
        while (_byAge.Count > 0)
        {
            Release(_byAge[0]);
        }
    }

    private static ReassemblyDropReason Validate(int offsetBytes, bool moreFragments, int length)
    {
        if (offsetBytes < 0 || (offsetBytes & 7) != 0)
        {
            return ReassemblyDropReason.Misaligned;
        }
        if ((long)offsetBytes + length > MaxPayloadBytes)
        {
            return ReassemblyDropReason.Oversize;
        }
        if (length == 0)
        {
            // A fragment must carry data; Linux discards empty ones with their queue too.
            return ReassemblyDropReason.Empty;
        }
        if (moreFragments && (length & 7) != 0)
        {
            // RFC 791 §3.2: every fragment but the last carries a multiple of 8 octets.
            return ReassemblyDropReason.Misaligned;
        }
        return ReassemblyDropReason.None;
    }

    private ReassemblyStatus Drop(PendingDatagram? pending, ReassemblyDropReason reason)
    {
        if (pending is not null)
        {
            Release(pending);
        }
        switch (reason)
        {
            case ReassemblyDropReason.Memory:
                DroppedForMemory++;
                break;
            case ReassemblyDropReason.ConflictingOverlap:
                OverlapConflicts++;
                break;
            default:
                DroppedMalformed++;
                break;
        }
        LastDropReason = reason;
        return ReassemblyStatus.Dropped;
    }

    private PendingDatagram Open(in FragmentKey key, Instant now)
    {
        while (_byAge.Count >= _maxDatagrams)
        {
            Release(_byAge[0]);
            DroppedForDatagramLimit++;
        }
        var pending = _spare.Count > 0 ? _spare.Pop() : new PendingDatagram();
        pending.Reset(key, now + _timeout);
        _byKey.Add(key, pending);
        _byAge.Add(pending);
        return pending;
    }

    /// <summary>Makes the buffer hold at least <paramref name="end"/> bytes, within the memory bound.</summary>
    private bool EnsureCapacity(PendingDatagram pending, int end)
    {
        int needed = pending.TotalLength >= 0 ? pending.TotalLength : end;
        int have = pending.Buffer?.Length ?? 0;
        if (needed <= have)
        {
            return true;
        }

        // Until the last fragment says how long the datagram is, grow geometrically so in-order arrival copies
        // O(n) bytes in total; fall back to the exact size when the larger buffer would not fit.
        int request = pending.TotalLength >= 0 ? needed : Math.Min(MaxPayloadBytes, Math.Max(needed, have * 2));
        var fresh = ArrayPool<byte>.Shared.Rent(request);
        if (MemoryInUse + fresh.Length - have > _memoryLimit && request > needed)
        {
            ArrayPool<byte>.Shared.Return(fresh);
            fresh = ArrayPool<byte>.Shared.Rent(needed);
        }

        int growth = fresh.Length - have;
        while (MemoryInUse + growth > _memoryLimit && EvictOldestExcept(pending))
        {
        }
        if (MemoryInUse + growth > _memoryLimit)
        {
            ArrayPool<byte>.Shared.Return(fresh);
            return false;
        }

        if (pending.Buffer is { } old)
        {
            old.AsSpan(0, pending.HighestEnd).CopyTo(fresh);
            ArrayPool<byte>.Shared.Return(old);
        }
        pending.Buffer = fresh;
        MemoryInUse += growth;
        return true;
    }

    private bool EvictOldestExcept(PendingDatagram keep)
    {
        foreach (var candidate in _byAge)
        {
            if (!ReferenceEquals(candidate, keep))
            {
                Release(candidate);
                DroppedForMemory++;
                return true;
            }
        }
        return false;
    }

    private void Release(PendingDatagram pending)
    {
        if (pending.Buffer is { } buffer)
        {
            MemoryInUse -= buffer.Length;
            ArrayPool<byte>.Shared.Return(buffer);
            pending.Buffer = null;
        }
        _byKey.Remove(pending.Key);
        _byAge.Remove(pending);
        _spare.Push(pending);
    }

    private void ReturnLent()
    {
        if (_lent is not null)
        {
            ArrayPool<byte>.Shared.Return(_lent);
            _lent = null;
        }
    }
}
