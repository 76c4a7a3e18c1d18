namespace Mip.Stack.Sockets.Dhcp;

/// <summary>What the DHCP server received, sent and refused. Plain counters, read on the stack thread.</summary>
public sealed class DhcpServerCounters
{
    public long DiscoversReceived { get; internal set; }
    public long RequestsReceived { get; internal set; }
    public long DeclinesReceived { get; internal set; }
    public long ReleasesReceived { get; internal set; }
    public long InformsReceived { get; internal set; }
    public long OffersSent { get; internal set; }
    public long AcksSent { get; internal set; }
    public long NaksSent { get; internal set; }

    /// <summary>DISCOVERs left unanswered because no address was free.</summary>
    public long PoolExhausted { get; internal set; }

    /// <summary>Messages ignored: malformed, not a BOOTREQUEST, no message type, for another server, or unknown client.</summary>
    public long Ignored { get; internal set; }

    /// <summary>Leases and offers that ran out without being renewed or taken up.</summary>
    public long Expired { get; internal set; }
}
