using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dhcp;

public sealed partial class DhcpClient
{
    private uint _xid;
    private Instant _exchangeStart;
    private Instant _requestFirstSentAt;
    private int _transmissions;

    /// <summary>The address to hint in DISCOVER (option 50) or to ask for in INIT-REBOOT.</summary>
    private Ipv4Address? _preferredAddress;

    /// <summary>The offer being requested (SELECTING -> REQUESTING) or the INIT-REBOOT address.</summary>
    private Ipv4Address _selectedAddress;
    private Ipv4Address _selectedServer;
    private bool _offerPending;

    /// <summary>INIT -> SELECTING: a new exchange with a new xid (RFC 2131 §4.4.1).</summary>
    private void BeginDiscover(Instant now)
    {
        State = DhcpClientState.Selecting;
        _offerPending = false;
        NewExchange(now);
        SendDiscover(now);
    }

    private void SendDiscover(Instant now)
    {
        Send(DhcpClientMessages.Discover(_identity, _xid, Seconds(now), _preferredAddress), Ipv4Address.Any, Ipv4Address.Broadcast);
        Counters.DiscoversSent++;
        _transmissions++;
        _deadline = now + RetransmitTimeout();
    }

    /// <summary>
    /// SELECTING -> REQUESTING. The REQUEST keeps the DISCOVER's xid (table 5: "'xid' from server DHCPOFFER") and
    /// its secs clock (RFC 2131 §2: seconds since the client began acquisition).
    /// </summary>
    private void BeginRequesting(Instant now)
    {
        State = DhcpClientState.Requesting;
        _offerPending = false;
        _transmissions = 0;
        SendRequest(now);
    }

    /// <summary>INIT-REBOOT -> REBOOTING: broadcast a REQUEST for the remembered address (RFC 2131 §3.2 step 1).</summary>
    private void BeginInitReboot(Instant now)
    {
        State = DhcpClientState.Rebooting;
        NewExchange(now);
        _selectedAddress = _preferredAddress ?? Ipv4Address.Any;
        _selectedServer = Ipv4Address.Any;
        SendRequest(now);
    }

    /// <summary>BOUND -> RENEWING at T1: one renewal process (one xid, one secs clock) until ACK, NAK or expiry.</summary>
    private void BeginRenewing(Instant now)
    {
        State = DhcpClientState.Renewing;
        NewExchange(now);
        SendRequest(now);
    }

    /// <summary>Sends (or resends) the REQUEST of the current state and schedules the next try.</summary>
    private void SendRequest(Instant now)
    {
        if (_transmissions == 0)
        {
            // The lease clock starts when the original request was sent (RFC 2131 §4.4.1).
            _requestFirstSentAt = now;
        }
        var lease = Lease;
        (DhcpRequestState kind, Ipv4Address address, Ipv4Address source, Ipv4Address destination) = State switch
        {
            DhcpClientState.Requesting => (DhcpRequestState.Selecting, _selectedAddress, Ipv4Address.Any, Ipv4Address.Broadcast),
            DhcpClientState.Rebooting => (DhcpRequestState.InitReboot, _selectedAddress, Ipv4Address.Any, Ipv4Address.Broadcast),
            // RENEWING unicasts to the leasing server, REBINDING broadcasts (RFC 2131 §4.4.5); both from our address.
            DhcpClientState.Renewing => (DhcpRequestState.Renewing, lease!.Address, lease.Address, lease.ServerId),
            _ => (DhcpRequestState.Rebinding, lease!.Address, lease.Address, Ipv4Address.Broadcast),
        };
        Send(DhcpClientMessages.Request(_identity, kind, _xid, Seconds(now), address, _selectedServer), source, destination);
        Counters.RequestsSent++;
        _transmissions++;
        _deadline = State switch
        {
            DhcpClientState.Renewing => RenewalRetransmitAt(now, lease!.RebindAt),
            DhcpClientState.Rebinding => RenewalRetransmitAt(now, lease!.ExpiresAt),
            DhcpClientState.Rebooting => Instant.Min(now + RetransmitTimeout(), _exchangeStart + _options.InitRebootTimeout),
            _ => now + RetransmitTimeout(),
        };
    }

    /// <summary>
    /// RFC 2131 §4.4.5: in RENEWING and REBINDING wait half the time left until T2 (or expiry), but at least the
    /// minimum (60 s), and never past <paramref name="limit"/>, where the state changes.
    /// </summary>
    private Instant RenewalRetransmitAt(Instant now, Instant limit)
    {
        var half = TimeSpan.FromTicks((limit - now).Ticks / 2);
        var at = now + (half > _options.RenewRetransmitMinimum ? half : _options.RenewRetransmitMinimum);
        return Instant.Min(at, limit);
    }

    /// <summary>
    /// RFC 2131 §4.1: the n-th transmission waits initial·2^(n-1), capped at 64 s, randomised by ±1 s. The jitter
    /// is capped at half the timeout so a 1 s lab timeout stays positive.
    /// </summary>
    private TimeSpan RetransmitTimeout()
    {
        int doublings = Math.Min(Math.Max(_transmissions - 1, 0), 16);
        long ticks = Math.Min(_options.InitialRetransmitTimeout.Ticks << doublings, _options.MaxRetransmitTimeout.Ticks);
        long jitter = Math.Min(_options.RetransmitJitter.Ticks, ticks / 2);
        if (jitter > 0)
        {
            ticks += (long)(((_random.NextDouble() * 2) - 1) * jitter);
        }
        return TimeSpan.FromTicks(ticks);
    }

    private void NewExchange(Instant now)
    {
        _xid = NewTransactionId();
        _exchangeStart = now;
        _transmissions = 0;
    }

    /// <summary>A random xid per exchange (RFC 2131 §4.1: chosen to make collisions with other clients unlikely).</summary>
    private uint NewTransactionId() => (uint)_random.NextInt64(0, 1L << 32);

    /// <summary>'secs': whole seconds since the exchange began (RFC 2131 §2), saturating at 65535.</summary>
    private ushort Seconds(Instant now) => (ushort)Math.Clamp((long)(now - _exchangeStart).TotalSeconds, 0, ushort.MaxValue);

    private TimeSpan Uniform(TimeSpan min, TimeSpan max) =>
        max <= min ? min : min + TimeSpan.FromTicks((long)(_random.NextDouble() * (max - min).Ticks));

    private void Send(in DhcpRepr message, Ipv4Address source, Ipv4Address destination)
    {
        int length = message.Emit(_transmitBuffer);
        _host.SendDhcp(_transmitBuffer.AsSpan(0, length), source, destination);
    }
}
