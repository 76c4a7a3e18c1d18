using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dhcp;

/// <summary>
/// DHCP client settings. Defaults follow the RFCs; the lab wants leases in milliseconds and may shorten the
/// timers (<see cref="InitialRetransmitTimeout"/>, the probe timings) or turn the probe off.
/// </summary>
public sealed class DhcpClientOptions
{
    private readonly string? _hostName;

    /// <summary>
    /// Option 12, sent in DISCOVER and REQUEST when set. Letters, digits, '-' and '.', at most 63 characters
    /// (RFC 2132 §3.14 defers to RFC 1035 §2.3.1 for the character set).
    /// </summary>
    public string? HostName
    {
        get => _hostName;
        init
        {
            if (value is not null && (value.Length is 0 or > 63 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.')))
            {
                throw new ArgumentException($"'{value}' is not a valid DHCP host name (1-63 of [A-Za-z0-9.-])", nameof(value));
            }
            _hostName = value;
        }
    }

    /// <summary>
    /// An address remembered from an earlier lease. When set, <see cref="DhcpClient.Start"/> begins in INIT-REBOOT and
    /// asks for it again (RFC 2131 §3.2); otherwise it begins in INIT. Default: none.
    /// </summary>
    public Ipv4Address? PreviousAddress { get; init; }

    /// <summary>
    /// First retransmission timeout of DISCOVER and REQUEST; it doubles on every retransmission up to
    /// <see cref="MaxRetransmitTimeout"/> (RFC 2131 §4.1: 4, 8, 16, 32, 64 s). Default 4 s. A lab may use 1 s.
    /// </summary>
    public TimeSpan InitialRetransmitTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Cap of the doubling timeout (RFC 2131 §4.1). Default 64 s.</summary>
    public TimeSpan MaxRetransmitTimeout { get; init; } = TimeSpan.FromSeconds(64);

    /// <summary>
    /// Each timeout is randomised by a uniform value in ±this (RFC 2131 §4.1: ±1 s), but by at most half the timeout so
    /// a short configured timeout never reaches zero. Default 1 s; 0 gives exact timings.
    /// </summary>
    public TimeSpan RetransmitJitter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Random delay before the first DISCOVER, uniform in [0, this]. RFC 2131 §4.4.1 suggests 1 to 10 s so that
    /// many clients powered on together spread out; default 0 because a single stack wants its lease at once.
    /// </summary>
    public TimeSpan StartDelayMax { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// After the first OFFER, wait this long for more offers, preferring one for <see cref="PreviousAddress"/>
    /// (RFC 2131 §4.4.1 lets the client collect offers). Default 0: take the first offer.
    /// </summary>
    public TimeSpan OfferCollectionWindow { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// REQUEST transmissions in REQUESTING before giving up and starting over from INIT (RFC 2131 §4.4.1 leaves the
    /// count to the client). Default 4 (4 + 8 + 16 + 32 s with the default timeout).
    /// </summary>
    public int MaxRequestTransmissions { get; init; } = 4;

    /// <summary>
    /// How long INIT-REBOOT keeps asking for <see cref="PreviousAddress"/> before falling back to DISCOVER. Default
    /// 10 s (ISC dhclient's "reboot" default).
    /// </summary>
    public TimeSpan InitRebootTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Smallest wait between retransmissions in RENEWING and REBINDING (RFC 2131 §4.4.5: half the remaining time,
    /// down to 60 s). Default 60 s.
    /// </summary>
    public TimeSpan RenewRetransmitMinimum { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Leases shorter than this are treated as this long, so a server handing out 0- or 1-second leases cannot
    /// drive the client into a renewal storm. Default 10 s.
    /// </summary>
    public TimeSpan MinimumLease { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Option 57 (RFC 2132 §9.10: at least 576). Default 576, what every server must handle.</summary>
    public ushort MaximumMessageSize { get; init; } = 576;

    /// <summary>Probe an acknowledged address with ARP before using it (RFC 2131 §4.4.1, RFC 5227 §2.1). Default on.</summary>
    public bool ArpProbe { get; init; } = true;

    /// <summary>Random wait before the first probe, uniform in [0, this] (RFC 5227 §1.1 PROBE_WAIT). Default 1 s.</summary>
    public TimeSpan ProbeWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Probes to send (RFC 5227 PROBE_NUM). Default 3.</summary>
    public int ProbeCount { get; init; } = 3;

    /// <summary>Shortest gap between probes (RFC 5227 PROBE_MIN). Default 1 s.</summary>
    public TimeSpan ProbeMin { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest gap between probes (RFC 5227 PROBE_MAX). Default 2 s.</summary>
    public TimeSpan ProbeMax { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Wait after the last probe before claiming the address (RFC 5227 ANNOUNCE_WAIT). Default 2 s.</summary>
    public TimeSpan AnnounceWait { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Gratuitous ARP announcements after binding (RFC 5227 ANNOUNCE_NUM); 0 disables. Default 2.</summary>
    public int AnnounceCount { get; init; } = 2;

    /// <summary>Gap between announcements (RFC 5227 ANNOUNCE_INTERVAL). Default 2 s.</summary>
    public TimeSpan AnnounceInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A bound client defends its address at most once per this interval; a second conflict inside it gives the
    /// address up (RFC 5227 §2.4 (b), DEFEND_INTERVAL). Default 10 s.
    /// </summary>
    public TimeSpan DefendInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Wait after a DHCPDECLINE before starting over (RFC 2131 §3.1 step 5: at least ten seconds). Default 10 s.
    /// </summary>
    public TimeSpan DeclineRestartDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After this many conflicts without a successful bind, restart at most once per
    /// <see cref="ConflictRateLimitInterval"/> (RFC 5227 MAX_CONFLICTS 10, RATE_LIMIT_INTERVAL 60 s).
    /// </summary>
    public int MaxConflicts { get; init; } = 10;

    /// <summary>See <see cref="MaxConflicts"/>. Default 60 s.</summary>
    public TimeSpan ConflictRateLimitInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Consecutive NAKs back off: the first restarts at once, later ones wait 1, 2, 4 ... s up to this, so a server
    /// that NAKs everything cannot make the client spin. Default 64 s.
    /// </summary>
    public TimeSpan MaxNakBackoff { get; init; } = TimeSpan.FromSeconds(64);
}
