using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dhcp;

public sealed partial class DhcpClient
{
    /// <summary>The acknowledged lease while its address is being probed.</summary>
    private DhcpLease? _pending;
    private int _probesSent;
    private int _announcementsLeft;
    private Instant _announceAt = Instant.MaxValue;
    private Instant? _lastConflict;
    private int _conflicts;

    /// <summary>
    /// Every well-formed ARP packet the stack receives. While probing, any other host claiming the offered address
    /// as sender, or probing for it itself, means a conflict (RFC 5227 §2.1.1); while bound, the address is defended
    /// once per DEFEND_INTERVAL and given up on a second conflict inside it (RFC 5227 §2.4 (b)). Our own frames
    /// (looped back by some links) are ignored.
    /// </summary>
    internal void OnArpObserved(in ArpRepr arp, Instant now)
    {
        // While releasing, the address is being given up anyway: neither defended nor declined.
        if (arp.SenderMac == _host.Mac || State == DhcpClientState.Releasing)
        {
            return;
        }
        var senderIp = arp.SenderIp;
        if (State == DhcpClientState.Probing)
        {
            var candidate = _pending!.Address;
            // RFC 5227 §2.1.1: a packet whose sender IP is the probed address means it is in use; an ARP Probe
            // (a request with sender IP 0.0.0.0) whose target is the probed address, from another interface,
            // means another host is probing for it at the same time and "SHOULD similarly" count as a conflict,
            // so neither host takes an address the other may also take.
            bool claimed = senderIp == candidate;
            bool rivalProbe = arp.Operation == ArpOperation.Request && senderIp.IsAny && arp.TargetIp == candidate;
            if (claimed || rivalProbe)
            {
                Counters.Conflicts++;
                Decline(_pending, now);
            }
            return;
        }
        if (senderIp.IsAny)
        {
            // A probe for our bound address is answered by the stack (that reply defends it); it is no conflict.
            return;
        }
        if (Lease is { } lease && senderIp == lease.Address)
        {
            Counters.Conflicts++;
            if (_lastConflict is { } last && now - last < _options.DefendInterval)
            {
                LoseLease(now, DhcpLeaseLostReason.Conflict);
                Decline(lease, now);
                return;
            }
            _lastConflict = now;
            _host.SendArpAnnouncement(lease.Address);
            Counters.ArpAnnouncementsSent++;
            Counters.Defenses++;
        }
    }

    /// <summary>Waits PROBE_WAIT, then probes PROBE_NUM times (RFC 5227 §2.1.1).</summary>
    private void BeginProbe(DhcpLease lease, Instant now)
    {
        _pending = lease;
        _probesSent = 0;
        State = DhcpClientState.Probing;
        _deadline = now + Uniform(TimeSpan.Zero, _options.ProbeWait);
    }

    private void OnProbeTimer(Instant now)
    {
        if (_probesSent >= _options.ProbeCount)
        {
            // ANNOUNCE_WAIT passed after the last probe without a conflict: the address is ours.
            Bind(_pending!, now);
            return;
        }
        _host.SendArpProbe(_pending!.Address);
        Counters.ArpProbesSent++;
        _probesSent++;
        _deadline = now + (_probesSent < _options.ProbeCount
            ? Uniform(_options.ProbeMin, _options.ProbeMax)
            : _options.AnnounceWait);
    }

    private void Announce(Instant now)
    {
        if (Lease is null || _announcementsLeft <= 0)
        {
            _announceAt = Instant.MaxValue;
            return;
        }
        _host.SendArpAnnouncement(Lease.Address);
        Counters.ArpAnnouncementsSent++;
        _announcementsLeft--;
        _announceAt = _announcementsLeft > 0 ? now + _options.AnnounceInterval : Instant.MaxValue;
    }

    /// <summary>
    /// The address is in use by someone else: DHCPDECLINE it, broadcast because we hold no address (RFC 2131
    /// §4.4.4), and start over after at least ten seconds (§3.1 step 5), or after RATE_LIMIT_INTERVAL once
    /// MAX_CONFLICTS have piled up (RFC 5227 §2.1.1).
    /// </summary>
    private void Decline(DhcpLease lease, Instant now)
    {
        uint xid = NewTransactionId();
        Send(DhcpClientMessages.Decline(_identity, xid, lease.Address, lease.ServerId), Ipv4Address.Any, Ipv4Address.Broadcast);
        Counters.DeclinesSent++;
        _conflicts++;
        _preferredAddress = null;
        RestartAfter(now, _conflicts >= _options.MaxConflicts ? _options.ConflictRateLimitInterval : _options.DeclineRestartDelay);
    }
}
