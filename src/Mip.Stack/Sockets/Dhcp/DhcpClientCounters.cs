namespace Mip.Stack.Sockets.Dhcp;

/// <summary>What the DHCP client did and ignored. Plain counters, read on the stack thread.</summary>
public sealed class DhcpClientCounters
{
    private readonly long[] _ignored = new long[Enum.GetValues<DhcpIgnoreReason>().Length];

    public long DiscoversSent { get; internal set; }
    public long RequestsSent { get; internal set; }
    public long DeclinesSent { get; internal set; }
    public long ReleasesSent { get; internal set; }
    public long OffersReceived { get; internal set; }
    public long AcksReceived { get; internal set; }
    public long NaksReceived { get; internal set; }
    public long ArpProbesSent { get; internal set; }
    public long ArpAnnouncementsSent { get; internal set; }

    /// <summary>Another host claimed an address we were probing or using (RFC 5227 §2.1.1, §2.4).</summary>
    public long Conflicts { get; internal set; }

    /// <summary>Conflicts answered with a defending announcement (RFC 5227 §2.4 (b)).</summary>
    public long Defenses { get; internal set; }

    /// <summary>Datagrams ignored for <paramref name="reason"/>.</summary>
    public long Ignored(DhcpIgnoreReason reason) => _ignored[(int)reason];

    /// <summary>All ignored datagrams.</summary>
    public long IgnoredTotal => _ignored.Sum();

    internal void Ignore(DhcpIgnoreReason reason) => _ignored[(int)reason]++;
}
