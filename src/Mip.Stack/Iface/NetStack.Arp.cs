using System.Buffers;
using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

public sealed partial class NetStack
{
    /// <summary>Requests per resolution or revalidation round before giving up (Linux's mcast/ucast_solicit is 3).</summary>
    internal const int MaxArpRequests = 3;
    internal const int ArpCacheCapacity = 512;

    private readonly ArpCache _arp;

    /// <summary>Next hops whose resolution failed during the current <see cref="PollArp"/> scan (reused list).</summary>
    private readonly List<Ipv4Address> _arpFailed = [];

    /// <summary>
    /// Called with every well-formed ARP packet (operation, sender and target), before the stack acts on it, so the
    /// DHCP client can detect address conflicts, including another host's probe for its candidate (RFC 5227 §2.1.1,
    /// §2.4).
    /// </summary>
    internal ArpObserver? ArpObserved { get; set; }

    /// <summary>A snapshot of the ARP cache.</summary>
    public IReadOnlyList<ArpEntryInfo> GetArpTable(Instant now)
    {
        var table = new List<ArpEntryInfo>(_arp.Count);
        foreach (var e in _arp.Entries)
        {
            var state = e.State == ArpEntryState.Reachable && now >= e.ExpiresAt ? ArpEntryState.Stale : e.State;
            table.Add(new ArpEntryInfo(e.Ip, e.Mac, state, now - e.ConfirmedAt));
        }
        table.Sort(static (a, b) => a.Ip.Value.CompareTo(b.Ip.Value));
        return table;
    }

    private void ProcessArp(ReadOnlySpan<byte> payload, Instant now)
    {
        var error = ArpPacket.Validate(payload);
        if (error != WireError.None)
        {
            Counters.Drop(error == WireError.Unsupported ? DropReason.UnsupportedArp : ToDropReason(error));
            return;
        }
        ArpPacket.TryCreate(payload, out var packet);
        if (!ArpRepr.TryParse(packet, out var arp))
        {
            Counters.Drop(DropReason.UnsupportedArp);
            return;
        }
        if (!arp.SenderMac.IsUnicast || arp.SenderMac == MacAddress.Zero)
        {
            // A group or zero sender hardware address is never legitimate and must not enter the cache.
            Counters.Drop(DropReason.InvalidSource);
            return;
        }
        Counters.ArpReceived++;
        if (arp.Operation == ArpOperation.Request)
        {
            Counters.ArpRequestsReceived++;
        }
        else
        {
            Counters.ArpRepliesReceived++;
        }
        ArpObserved?.Invoke(arp, now);
        if (_ipv4 is not { } config || arp.SenderMac == _options.Mac)
        {
            return;
        }
        // RFC 826 "Packet reception": update the sender's entry if we have one (merge), whoever the target is.
        bool senderUsable = !arp.SenderIp.IsAny && arp.SenderIp != config.Address && config.IsOnLink(arp.SenderIp)
            && !IsBroadcastAddress(arp.SenderIp);
        bool merged = false;
        if (senderUsable && _arp.TryGet(arp.SenderIp, out var entry))
        {
            Confirm(entry, arp.SenderMac, now);
            merged = true;
        }
        if (arp.TargetIp != config.Address)
        {
            return;
        }
        // RFC 826: if we are the target and the sender was not merged, add it (it is about to talk to us).
        if (!merged && senderUsable)
        {
            var added = _arp.Add(arp.SenderIp, now, out var evicted);
            PublishEvicted(evicted, now);
            if (added is not null)
            {
                Confirm(added, arp.SenderMac, now);
            }
        }
        if (arp.Operation == ArpOperation.Request)
        {
            // RFC 826: swap sender and target, put our address in, and reply straight to the requester. A probe
            // (sender IP 0.0.0.0, RFC 5227 §2.1.1) is answered the same way, which defends the address.
            SendArp(ArpOperation.Reply, arp.SenderMac, config.Address, arp.SenderMac, arp.SenderIp);
        }
    }

    /// <summary>Records a MAC learnt from the neighbour itself, then sends what waited for it.</summary>
    private void Confirm(ArpCacheEntry entry, MacAddress mac, Instant now)
    {
        var previous = entry.State;
        var previousMac = entry.Mac;
        entry.Mac = mac;
        entry.State = ArpEntryState.Reachable;
        entry.ConfirmedAt = now;
        entry.ExpiresAt = now + _options.ArpEntryLifetime;
        entry.RequestsSent = 0;
        entry.UsedSinceConfirmed = false;
        if (previous == ArpEntryState.Incomplete)
        {
            Publish(new ArpEntryChanged(now, ArpEntryChangeKind.Added, entry.Ip, mac));
        }
        else if (previousMac != mac)
        {
            Publish(new ArpEntryChanged(now, ArpEntryChangeKind.Updated, entry.Ip, mac));
        }
        if (entry.Pending is { Count: > 0 } pending)
        {
            while (pending.TryDequeue(out var p))
            {
                TransmitIpv4(mac, p.Source, p.Destination, p.Protocol, p.Payload, p.DontFragment, now);
                ArrayPool<byte>.Shared.Return(p.Buffer);
            }
        }
    }

    /// <summary>The next hop's MAC if the cache has one (reachable or stale); marks the entry as in use.</summary>
    private bool TryResolve(Ipv4Address nextHop, Instant now, out MacAddress mac)
    {
        _ = now;
        if (_arp.TryGet(nextHop, out var entry) && entry.State != ArpEntryState.Incomplete)
        {
            entry.UsedSinceConfirmed = true;
            mac = entry.Mac;
            return true;
        }
        mac = default;
        return false;
    }

    /// <summary>
    /// Parks a datagram until <paramref name="nextHop"/> resolves, starting resolution if needed. RFC 1122 §2.3.2.2:
    /// keep at least the latest datagram, so when the queue is full the oldest is dropped.
    /// </summary>
    private StackError EnqueuePending(Ipv4Address nextHop, Ipv4Address source, Ipv4Address destination,
        IpProtocol protocol, ReadOnlySpan<byte> payload, bool dontFragment, Instant now)
    {
        int limit = _options.ArpPendingPacketsPerDestination;
        if (!_arp.TryGet(nextHop, out var entry))
        {
            entry = _arp.Add(nextHop, now, out var evicted)!;
            PublishEvicted(evicted, now);
            if (entry is null)
            {
                Counters.Drop(DropReason.ArpQueueFull);
                return StackError.ArpQueueFull;
            }
            entry.RequestsSent = 1;
            entry.LastRequestAt = now;
            SendArp(ArpOperation.Request, MacAddress.Broadcast, _ipv4!.Address, MacAddress.Zero, nextHop);
        }
        if (limit <= 0)
        {
            Counters.Drop(DropReason.ArpQueueFull);
            return StackError.ArpQueueFull;
        }
        var pending = entry.Pending ??= new Queue<PendingDatagram>(limit);
        if (pending.Count >= limit)
        {
            var oldest = pending.Dequeue();
            Counters.Drop(DropReason.ArpQueueFull);
            ReportUnsentPing(oldest, now);
            ArrayPool<byte>.Shared.Return(oldest.Buffer);
        }
        pending.Enqueue(new PendingDatagram(RentCopy(payload), payload.Length, source, destination, protocol, dontFragment));
        return StackError.None;
    }

    /// <summary>ARP timers: retry or give up incomplete entries, revalidate used ones at expiry, drop idle ones.</summary>
    private void PollArp(Instant now)
    {
        var interval = _options.ArpRequestInterval;
        foreach (var e in _arp.Entries)
        {
            switch (e.State)
            {
                case ArpEntryState.Incomplete when now >= e.LastRequestAt + interval:
                    if (_ipv4 is null)
                    {
                        GiveUp(e, now);
                    }
                    else if (e.RequestsSent >= MaxArpRequests)
                    {
                        GiveUp(e, now);
                        _arpFailed.Add(e.Ip);
                    }
                    else
                    {
                        // RFC 1122 §2.3.2.1: at most one request per destination per ArpRequestInterval.
                        e.RequestsSent++;
                        e.LastRequestAt = now;
                        SendArp(ArpOperation.Request, MacAddress.Broadcast, _ipv4.Address, MacAddress.Zero, e.Ip);
                    }
                    break;
                case ArpEntryState.Reachable when now >= e.ExpiresAt:
                    if (e.UsedSinceConfirmed && _ipv4 is not null)
                    {
                        // RFC 1122 §2.3.2.1 (unicast poll): keep using the entry while asking the neighbour directly.
                        e.State = ArpEntryState.Stale;
                        e.RequestsSent = 1;
                        e.LastRequestAt = now;
                        SendArp(ArpOperation.Request, e.Mac, _ipv4.Address, MacAddress.Zero, e.Ip);
                    }
                    else
                    {
                        RemoveEntry(e, now);
                    }
                    break;
                case ArpEntryState.Stale when now >= e.LastRequestAt + interval:
                    if (_ipv4 is null)
                    {
                        RemoveEntry(e, now);
                    }
                    else if (e.RequestsSent >= MaxArpRequests)
                    {
                        // The neighbour stopped answering its unicast polls: as unreachable as one never resolved.
                        RemoveEntry(e, now);
                        _arpFailed.Add(e.Ip);
                    }
                    else
                    {
                        e.RequestsSent++;
                        e.LastRequestAt = now;
                        SendArp(ArpOperation.Request, e.Mac, _ipv4.Address, MacAddress.Zero, e.Ip);
                    }
                    break;
            }
        }
        if (_arpFailed.Count > 0)
        {
            // After the scan: what the sockets do about it must not run while the table is being walked.
            foreach (var ip in _arpFailed)
            {
                OnNeighbourUnreachable(ip, now);
            }
            _arpFailed.Clear();
        }
    }

    private Instant ArpNextDeadline()
    {
        var next = Instant.MaxValue;
        foreach (var e in _arp.Entries)
        {
            next = Instant.Min(next, e.State == ArpEntryState.Reachable ? e.ExpiresAt : e.LastRequestAt + _options.ArpRequestInterval);
        }
        return next;
    }

    /// <summary>
    /// ARP gave up on <paramref name="nextHop"/>. RFC 1122 §2.4 forbids reporting a destination unreachable merely
    /// because no cache entry exists yet; once resolution has failed, the host is unreachable and the transport
    /// should hear it (as Linux turns a failed neighbour into a local ICMP host unreachable). Pings were already told
    /// through their parked requests; TCP connections routed through that next hop are told here. UDP sockets have no
    /// error channel, so their datagrams are only counted as <see cref="DropReason.ArpUnresolved"/>.
    /// </summary>
    private void OnNeighbourUnreachable(Ipv4Address nextHop, Instant now)
    {
        if (_ipv4 is not { } config)
        {
            return;
        }
        // Backwards: a connection that fails is swap-removed with the last one, which was already visited.
        for (int i = _tcpList.Count - 1; i >= 0; i--)
        {
            if (i >= _tcpList.Count)
            {
                continue;
            }
            var s = _tcpList[i];
            if (s.Tuple.LocalAddress == config.Address && Route(s.Tuple.RemoteAddress) is { Kind: RouteKind.OnLink or RouteKind.Gateway } route
                && route.NextHop == nextHop)
            {
                s.OnNextHopUnreachable(now);
            }
        }
    }

    /// <summary>Resolution failed: drop what waited (reporting pings) and forget the entry.</summary>
    private void GiveUp(ArpCacheEntry entry, Instant now)
    {
        DropPending(entry, DropReason.ArpUnresolved, now);
        _arp.Remove(entry);
    }

    private void RemoveEntry(ArpCacheEntry entry, Instant now)
    {
        if (entry.State == ArpEntryState.Incomplete)
        {
            GiveUp(entry, now);
            return;
        }
        _arp.Remove(entry);
        Publish(new ArpEntryChanged(now, ArpEntryChangeKind.Expired, entry.Ip, entry.Mac));
    }

    private void PublishEvicted(ArpCacheEntry? evicted, Instant now)
    {
        if (evicted is not null)
        {
            DropPending(evicted, DropReason.ArpUnresolved, now);
            Publish(new ArpEntryChanged(now, ArpEntryChangeKind.Expired, evicted.Ip, evicted.Mac));
        }
    }

    private void DropPending(ArpCacheEntry entry, DropReason reason, Instant now)
    {
        if (entry.Pending is not { } pending)
        {
            return;
        }
        while (pending.TryDequeue(out var p))
        {
            Counters.Drop(reason);
            ReportUnsentPing(p, now);
            ArrayPool<byte>.Shared.Return(p.Buffer);
        }
    }

    /// <summary>Forgets entries that are no longer on-link after a configuration change (all of them when unconfigured).</summary>
    private void FlushArpNotOnLink(Ipv4Config? config, Instant now)
    {
        foreach (var e in _arp.Entries)
        {
            if (config is null || !config.IsOnLink(e.Ip))
            {
                if (e.State == ArpEntryState.Incomplete)
                {
                    DropPending(e, DropReason.NoRoute, now);
                    _arp.Remove(e);
                }
                else
                {
                    RemoveEntry(e, now);
                }
            }
        }
    }

    private void SendArp(ArpOperation operation, MacAddress destination, Ipv4Address senderIp, MacAddress targetMac, Ipv4Address targetIp)
    {
        EthernetFrame.WriteHeader(_frame, destination, _options.Mac, EtherType.Arp);
        new ArpRepr(operation, _options.Mac, senderIp, targetMac, targetIp).Emit(_frame.AsSpan(EthernetFrame.HeaderLength));
        if (Transmit(_frame.AsSpan(0, EthernetFrame.HeaderLength + ArpRepr.BufferLength)) != StackError.None)
        {
            return;
        }
        if (operation == ArpOperation.Request)
        {
            Counters.ArpRequestsSent++;
        }
        else
        {
            Counters.ArpRepliesSent++;
        }
    }
}
