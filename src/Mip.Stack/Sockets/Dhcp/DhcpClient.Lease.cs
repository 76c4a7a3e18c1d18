using Mip.Stack.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dhcp;

public sealed partial class DhcpClient
{
    /// <summary>
    /// Turns an ACK into a lease that starts when the answered REQUEST was first sent. On a renewal, options the
    /// server left out (router, mask, DNS, domain, MTU; some servers send them only on the first ACK) keep their
    /// previous values. A first ACK without option 51 is refused; a renewal ACK without it keeps the old duration.
    /// </summary>
    private bool TryBuildLease(in DhcpRepr ack, Ipv4Address server, DhcpLease? previous, out DhcpLease lease)
    {
        lease = null!;
        TimeSpan duration;
        if (ack.LeaseTimeSeconds is uint seconds)
        {
            duration = seconds == uint.MaxValue ? DhcpLease.Infinite
                : TimeSpan.FromSeconds(seconds) < _options.MinimumLease ? _options.MinimumLease
                : TimeSpan.FromSeconds(seconds);
        }
        else if (previous is not null)
        {
            duration = previous.LeaseDuration;
        }
        else
        {
            return false;
        }
        var (t1, t2) = RenewalTimes(duration, ack.RenewalTimeSeconds, ack.RebindingTimeSeconds);
        var address = ack.YourAddress;
        var same = previous is not null && previous.Address == address ? previous : null;
        lease = new DhcpLease(
            address,
            ack.SubnetMask is { } m && IsContiguousMask(m) ? m : same?.Mask ?? ClassfulMask(address),
            ack.Router ?? same?.Gateway ?? Ipv4Address.Any,
            ack.DnsServers.Count > 0 ? ack.DnsServers : same?.DnsServers ?? [],
            ack.DomainName ?? same?.DomainName,
            server,
            duration,
            t1,
            t2,
            _requestFirstSentAt,
            ack.InterfaceMtu ?? same?.Mtu);
        return true;
    }

    /// <summary>
    /// T1 and T2 (RFC 2131 §4.4.5): options 58/59 when they satisfy 0 &lt; T1 &lt; T2 &lt; lease, otherwise the
    /// defaults 0.5 and 0.875 of the lease; a T1 that is not below a server-given T2 becomes half of T2.
    /// </summary>
    private static (TimeSpan T1, TimeSpan T2) RenewalTimes(TimeSpan lease, uint? t1Seconds, uint? t2Seconds)
    {
        if (lease == DhcpLease.Infinite)
        {
            return (DhcpLease.Infinite, DhcpLease.Infinite);
        }
        var t2 = t2Seconds is uint s2 && s2 > 0 && TimeSpan.FromSeconds(s2) < lease
            ? TimeSpan.FromSeconds(s2)
            : TimeSpan.FromTicks(lease.Ticks / 8 * 7);
        var half = TimeSpan.FromTicks(lease.Ticks / 2);
        var t1 = t1Seconds is uint s1 && s1 > 0 && TimeSpan.FromSeconds(s1) < t2
            ? TimeSpan.FromSeconds(s1)
            : half < t2 ? half : TimeSpan.FromTicks(t2.Ticks / 2);
        return (t1, t2);
    }

    /// <summary>
    /// The mask to use when the server sends none on the first ACK: the classful default of the address (RFC 791
    /// §3.2 classes A/B/C give /8, /16, /24), as lwIP and dhcpcd do; anything else gets /24.
    /// </summary>
    private static Ipv4Address ClassfulMask(Ipv4Address address) => (address.Value >> 24) switch
    {
        < 128 => Ipv4Address.MaskFromPrefix(8),
        < 192 => Ipv4Address.MaskFromPrefix(16),
        _ => Ipv4Address.MaskFromPrefix(24),
    };

    private static bool IsContiguousMask(Ipv4Address mask)
    {
        uint host = ~mask.Value;
        return mask.Value != 0 && (host & (host + 1)) == 0;
    }

    /// <summary>Configures the interface from a new lease and announces it (RFC 5227 §2.3).</summary>
    private void Bind(DhcpLease lease, Instant now)
    {
        _pending = null;
        _conflicts = 0;
        _lastConflict = null;
        Lease = lease;
        State = DhcpClientState.Bound;
        _deadline = lease.RenewAt;
        _host.ApplyConfig(lease.ToConfig(), now);
        _host.Publish(new DhcpLeaseAcquired(now, lease));
        if (_options.AnnounceCount > 0)
        {
            _announcementsLeft = _options.AnnounceCount;
            Announce(now);
        }
    }

    /// <summary>RENEWING/REBINDING got an ACK: back to BOUND; reconfigure only if something changed.</summary>
    private void Renewed(DhcpLease lease, Instant now)
    {
        var old = Lease!;
        Lease = lease;
        State = DhcpClientState.Bound;
        _deadline = lease.RenewAt;
        if (!SameConfig(old.ToConfig(), lease.ToConfig()))
        {
            _host.ApplyConfig(lease.ToConfig(), now);
        }
        _host.Publish(new DhcpLeaseRenewed(now, lease));
    }

    /// <summary>
    /// The lease ran out in REBINDING: stop using the address at once and start over from INIT (RFC 2131 §4.4.5),
    /// hinting the old address in the DISCOVER.
    /// </summary>
    private void Expire(Instant now)
    {
        _preferredAddress = Lease!.Address;
        LoseLease(now, DhcpLeaseLostReason.Expired);
        RestartAfter(now, TimeSpan.Zero);
    }

    private void LoseLease(Instant now, DhcpLeaseLostReason reason)
    {
        if (Lease is null)
        {
            return;
        }
        Lease = null;
        _announceAt = Instant.MaxValue;
        _announcementsLeft = 0;
        _host.ApplyConfig(null, now);
        _host.Publish(new DhcpLeaseLost(now, reason));
    }

    private void RestartAfter(Instant now, TimeSpan delay)
    {
        State = DhcpClientState.Init;
        _pending = null;
        _offerPending = false;
        _deadline = now + delay;
    }

    private static bool SameConfig(Ipv4Config a, Ipv4Config b) =>
        a.Address == b.Address && a.Mask == b.Mask && a.Gateway == b.Gateway && a.DnsServers.SequenceEqual(b.DnsServers);
}
