using Mip.Stack.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dhcp;

/// <summary>
/// A DHCP client (RFC 2131) as a polled state machine: <see cref="OnDatagram"/> takes what arrives on UDP port 68,
/// <see cref="OnArpObserved"/> every ARP sender the stack sees, <see cref="Poll"/> runs timers, and
/// <see cref="NextDeadline"/> says when <see cref="Poll"/> is next due. It reaches the network and the interface only
/// through <see cref="IDhcpHost"/>. Single-threaded; no clock, no ambient randomness.
/// </summary>
public sealed partial class DhcpClient : IStackComponent
{
    /// <summary>Every message the client builds fits: 300-octet minimum, and the longest (REQUEST with a 63-character
    /// host name) is 240 + 3 + 9 + 6 + 65 + 11 + 4 + 1 = 339 octets.</summary>
    private const int TransmitBufferLength = 576;

    private const int MaxTimerStepsPerPoll = 16;

    private readonly IDhcpHost _host;
    private readonly DhcpClientOptions _options;
    private readonly Random _random;
    private readonly DhcpClientIdentity _identity;
    private readonly byte[] _transmitBuffer = new byte[TransmitBufferLength];

    private Instant _deadline = Instant.MaxValue;

    internal DhcpClient(IDhcpHost host, DhcpClientOptions options, Random random)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        if (options.InitialRetransmitTimeout <= TimeSpan.Zero || options.MaxRetransmitTimeout < options.InitialRetransmitTimeout)
        {
            throw new ArgumentException("retransmit timeouts must be positive and Max >= Initial", nameof(options));
        }
        if (options.ProbeMax < options.ProbeMin || options.RenewRetransmitMinimum <= TimeSpan.Zero)
        {
            throw new ArgumentException("ProbeMax must be >= ProbeMin and RenewRetransmitMinimum positive", nameof(options));
        }
        _host = host;
        _options = options;
        _random = random;
        _identity = new DhcpClientIdentity(host.Mac, options.HostName, options.MaximumMessageSize);
    }

    public DhcpClientState State { get; private set; } = DhcpClientState.Stopped;

    /// <summary>The lease the interface is configured from; null unless Bound, Renewing, Rebinding or Releasing.</summary>
    public DhcpLease? Lease { get; private set; }

    public DhcpClientCounters Counters { get; } = new();

    /// <summary>When <see cref="Poll"/> next has work; <see cref="Instant.MaxValue"/> when none.</summary>
    public Instant NextDeadline => Instant.Min(_deadline, _announceAt);

    /// <summary>
    /// Starts acquiring a lease: INIT-REBOOT when <see cref="DhcpClientOptions.PreviousAddress"/> is set (RFC 2131
    /// §3.2), INIT otherwise (§3.1), after the optional start delay (§4.4.1).
    /// </summary>
    public void Start(Instant now)
    {
        if (State != DhcpClientState.Stopped)
        {
            throw new InvalidOperationException($"DHCP client already running ({State})");
        }
        _consecutiveNaks = 0;
        _conflicts = 0;
        _preferredAddress = _options.PreviousAddress is { IsAny: false } previous ? previous : null;
        State = _preferredAddress.HasValue ? DhcpClientState.InitReboot : DhcpClientState.Init;
        _deadline = now + Uniform(TimeSpan.Zero, _options.StartDelayMax);
        Poll(now);
    }

    /// <summary>
    /// Stops the client. With <paramref name="release"/> and a lease, unicasts DHCPRELEASE to the server first
    /// (RFC 2131 §4.4.6). Either way the interface is deconfigured and <see cref="DhcpLeaseLost"/> published; when
    /// the RELEASE has to wait for ARP to resolve the server, that happens once it has left (or ARP gave up), and
    /// the client is <see cref="DhcpClientState.Releasing"/> meanwhile. Stopping again without a release while
    /// releasing gives the address up at once (the RELEASE is then dropped).
    /// </summary>
    public void Stop(Instant now, bool release)
    {
        if (State == DhcpClientState.Stopped || (State == DhcpClientState.Releasing && release))
        {
            return;
        }
        if (State != DhcpClientState.Releasing && Lease is { } lease && release)
        {
            // Table 5: ciaddr = the address, option 54 MUST; §4.4.4: RELEASE is unicast to the server.
            uint xid = NewTransactionId();
            Send(DhcpClientMessages.Release(_identity, xid, lease.Address, lease.ServerId), lease.Address, lease.ServerId);
            Counters.ReleasesSent++;
            if (_host.IsWaitingForArp(lease.Address, lease.ServerId))
            {
                // The RELEASE is parked behind ARP like any datagram; deconfiguring now would discard it with the
                // address it is sent from. Keep the address until it leaves; ARP resolves or gives up within
                // seconds, and the lease's expiry bounds the wait in any case.
                _pending = null;
                _offerPending = false;
                _announceAt = Instant.MaxValue;
                State = DhcpClientState.Releasing;
                _deadline = lease.ExpiresAt;
                return;
            }
        }
        LoseLease(now, release || State == DhcpClientState.Releasing ? DhcpLeaseLostReason.Released : DhcpLeaseLostReason.Stopped);
        _pending = null;
        _offerPending = false;
        State = DhcpClientState.Stopped;
        _deadline = Instant.MaxValue;
        _announceAt = Instant.MaxValue;
    }

    /// <summary>Runs every timer that is due at <paramref name="now"/>.</summary>
    internal void Poll(Instant now)
    {
        if (State == DhcpClientState.Releasing)
        {
            // Polled after the stack's ingress, so a RELEASE that an ARP reply just sent is seen as gone.
            if (now >= _deadline || !_host.IsWaitingForArp(Lease!.Address, Lease.ServerId))
            {
                Stop(now, release: false);
            }
            return;
        }
        if (_announceAt <= now)
        {
            Announce(now);
        }
        // A step may make another one due at once (lease expiry -> INIT -> DISCOVER); the bound only guards a bug.
        for (int i = 0; i < MaxTimerStepsPerPoll && _deadline <= now; i++)
        {
            OnTimer(now);
        }
    }

    private void OnTimer(Instant now)
    {
        switch (State)
        {
            case DhcpClientState.Init:
                BeginDiscover(now);
                break;
            case DhcpClientState.InitReboot:
                BeginInitReboot(now);
                break;
            case DhcpClientState.Selecting when _offerPending:
                BeginRequesting(now);
                break;
            case DhcpClientState.Selecting:
                SendDiscover(now);
                break;
            case DhcpClientState.Requesting when _transmissions >= _options.MaxRequestTransmissions:
                // No ACK or NAK after the whole retransmission schedule: back to INIT (RFC 2131 §4.4.1).
                RestartAfter(now, TimeSpan.Zero);
                break;
            case DhcpClientState.Rebooting when now - _exchangeStart >= _options.InitRebootTimeout:
                // Nobody confirmed the remembered address: ask from scratch, still hinting it (option 50 in DISCOVER).
                BeginDiscover(now);
                break;
            case DhcpClientState.Requesting or DhcpClientState.Rebooting:
                SendRequest(now);
                break;
            case DhcpClientState.Probing:
                OnProbeTimer(now);
                break;
            case DhcpClientState.Bound:
                BeginRenewing(now);
                break;
            case DhcpClientState.Renewing when now >= Lease!.RebindAt:
                // T2 passed without an answer from the leasing server: ask any server (RFC 2131 §4.4.5).
                State = DhcpClientState.Rebinding;
                SendRequest(now);
                break;
            case DhcpClientState.Rebinding when now >= Lease!.ExpiresAt:
                Expire(now);
                break;
            case DhcpClientState.Renewing or DhcpClientState.Rebinding:
                SendRequest(now);
                break;
            default:
                _deadline = Instant.MaxValue;
                break;
        }
    }

    void IStackComponent.Poll(Instant now) => Poll(now);
}
