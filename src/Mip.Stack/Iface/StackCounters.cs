namespace Mip.Stack.Iface;

/// <summary>
/// Traffic and drop counters of one <see cref="NetStack"/>. Written only by the stack's thread; readers on other
/// threads see values that may be slightly stale (64-bit reads are atomic on 64-bit platforms).
/// </summary>
public sealed class StackCounters
{
    /// <summary>Number of <see cref="DropReason"/> values (the size of the drop array).</summary>
    public static readonly int DropReasonCount = Enum.GetValues<DropReason>().Length;

    private readonly long[] _drops = new long[DropReasonCount];

    public long FramesReceived { get; internal set; }
    public long BytesReceived { get; internal set; }
    public long FramesSent { get; internal set; }
    public long BytesSent { get; internal set; }

    public long ArpReceived { get; internal set; }
    public long Ipv4Received { get; internal set; }
    public long Ipv4Sent { get; internal set; }
    public long IcmpReceived { get; internal set; }
    public long IcmpSent { get; internal set; }

    public long ArpRequestsSent { get; internal set; }
    public long ArpRepliesSent { get; internal set; }
    public long ArpRequestsReceived { get; internal set; }
    public long ArpRepliesReceived { get; internal set; }

    public long IcmpEchoRequestsReceived { get; internal set; }
    public long IcmpEchoRepliesSent { get; internal set; }
    public long IcmpEchoRequestsSent { get; internal set; }
    public long IcmpEchoRepliesReceived { get; internal set; }
    public long IcmpErrorsReceived { get; internal set; }
    public long IcmpErrorsSent { get; internal set; }
    /// <summary>ICMP errors not sent because of the rate limit (RFC 1122 §3.2.2).</summary>
    public long IcmpErrorsRateLimited { get; internal set; }

    public long UdpDatagramsReceived { get; internal set; }
    public long UdpDatagramsSent { get; internal set; }

    public long FragmentsReceived { get; internal set; }
    public long FragmentsSent { get; internal set; }
    public long DatagramsReassembled { get; internal set; }
    public long DatagramsFragmented { get; internal set; }

    public long TcpSegmentsReceived { get; internal set; }
    public long TcpSegmentsSent { get; internal set; }
    /// <summary>Segments retransmitted because the retransmission timer expired (RFC 6298 §5.4).</summary>
    public long TcpRetransmitsRto { get; internal set; }
    /// <summary>Segments retransmitted by fast retransmit / SACK loss recovery (RFC 6582, RFC 6675).</summary>
    public long TcpRetransmitsFast { get; internal set; }
    /// <summary>Tail loss probes (RFC 8985 §7).</summary>
    public long TcpRetransmitsTlp { get; internal set; }
    public long TcpOutOfOrderSegments { get; internal set; }
    public long TcpDuplicateAcks { get; internal set; }
    public long TcpResetsSent { get; internal set; }
    public long TcpResetsReceived { get; internal set; }
    public long TcpSynCookiesSent { get; internal set; }
    public long TcpSynCookiesAccepted { get; internal set; }
    /// <summary>Challenge ACKs sent (RFC 5961); those suppressed by the rate limit are not counted here.</summary>
    public long TcpChallengeAcks { get; internal set; }
    /// <summary>SYNs dropped because the global half-open cap was reached and no cookie could be sent.</summary>
    public long TcpHalfOpenDropped { get; internal set; }
    public long TcpActiveOpens { get; internal set; }
    public long TcpPassiveOpens { get; internal set; }
    /// <summary>TIME_WAIT connections ended early: table full or reused by a new SYN (RFC 6191).</summary>
    public long TcpTimeWaitReclaimed { get; internal set; }
    /// <summary>Connections dropped because the interface lost their local address (DHCP lease lost or changed).</summary>
    public long TcpAddressLostAborts { get; internal set; }

    /// <summary>Events discarded because the event queue was full (the oldest go first).</summary>
    public long EventsDropped { get; internal set; }

    /// <summary>How many frames or datagrams were dropped for <paramref name="reason"/>.</summary>
    public long Drops(DropReason reason) => (uint)reason < (uint)_drops.Length ? _drops[(int)reason] : 0;

    /// <summary>All drops, whatever the reason.</summary>
    public long TotalDrops
    {
        get
        {
            long total = 0;
            foreach (long d in _drops)
            {
                total += d;
            }
            return total;
        }
    }

    internal void Drop(DropReason reason, long count = 1) => _drops[(int)reason] += count;
}
