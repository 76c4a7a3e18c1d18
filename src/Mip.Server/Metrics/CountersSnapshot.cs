using Mip.Stack.Iface;
using Mip.Stack.Pcap;
using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Sockets.Tcp;

namespace Mip.Server.Metrics;

/// <summary>
/// A copy of the stack's counters taken on the loop thread, so other threads (metric scrapes, RPC responses) read
/// consistent values without touching the stack. Immutable once taken.
/// </summary>
internal sealed class CountersSnapshot
{
    private CountersSnapshot(long[] drops) => Drops = drops;

    public static readonly CountersSnapshot Empty = new(new long[StackCounters.DropReasonCount]);

    public long FramesReceived { get; private init; }
    public long FramesSent { get; private init; }
    public long BytesReceived { get; private init; }
    public long BytesSent { get; private init; }

    /// <summary>Drops indexed by <see cref="DropReason"/>.</summary>
    public long[] Drops { get; }

    public long ArpRequestsSent { get; private init; }
    public long ArpRepliesSent { get; private init; }
    public long ArpRequestsReceived { get; private init; }
    public long ArpRepliesReceived { get; private init; }
    public long UdpDatagramsReceived { get; private init; }
    public long UdpDatagramsSent { get; private init; }
    public long IcmpEchoRequestsSent { get; private init; }
    public long IcmpEchoRepliesReceived { get; private init; }
    public long IcmpEchoRequestsReceived { get; private init; }
    public long IcmpEchoRepliesSent { get; private init; }
    public long EventsDropped { get; private init; }

    /// <summary>pcap_stats ps_drop: frames the kernel dropped because the capture ring was full (0 without pcap).</summary>
    public long KernelDrops { get; private init; }

    /// <summary>pcap_stats ps_ifdrop.</summary>
    public long InterfaceDrops { get; private init; }

    /// <summary>The DHCP client's state, or null with a static address.</summary>
    public DhcpClientState? DhcpState { get; private init; }

    public long TcpSegmentsReceived { get; private init; }
    public long TcpSegmentsSent { get; private init; }
    public long TcpRetransmitsRto { get; private init; }
    public long TcpRetransmitsFast { get; private init; }
    public long TcpRetransmitsTlp { get; private init; }
    public long TcpResetsSent { get; private init; }
    public long TcpResetsReceived { get; private init; }
    public long TcpActiveOpens { get; private init; }
    public long TcpPassiveOpens { get; private init; }

    /// <summary>Connections in the stack's table by <see cref="TcpState"/> (listeners not included).</summary>
    public int[] TcpConnectionsByState { get; private init; } = new int[TcpStates];

    private static readonly int TcpStates = Enum.GetValues<TcpState>().Length;

    /// <summary>Takes a snapshot. Call on the stack loop thread only.</summary>
    public static CountersSnapshot Capture(NetStack stack, PcapDevice? pcap)
    {
        var c = stack.Counters;
        var drops = new long[StackCounters.DropReasonCount];
        for (int i = 0; i < drops.Length; i++)
        {
            drops[i] = c.Drops((DropReason)i);
        }
        var stats = pcap?.Statistics;
        var byState = new int[TcpStates];
        foreach (var socket in stack.TcpSockets)
        {
            byState[(int)socket.State]++;
        }
        return new CountersSnapshot(drops)
        {
            FramesReceived = c.FramesReceived,
            FramesSent = c.FramesSent,
            BytesReceived = c.BytesReceived,
            BytesSent = c.BytesSent,
            ArpRequestsSent = c.ArpRequestsSent,
            ArpRepliesSent = c.ArpRepliesSent,
            ArpRequestsReceived = c.ArpRequestsReceived,
            ArpRepliesReceived = c.ArpRepliesReceived,
            UdpDatagramsReceived = c.UdpDatagramsReceived,
            UdpDatagramsSent = c.UdpDatagramsSent,
            IcmpEchoRequestsSent = c.IcmpEchoRequestsSent,
            IcmpEchoRepliesReceived = c.IcmpEchoRepliesReceived,
            IcmpEchoRequestsReceived = c.IcmpEchoRequestsReceived,
            IcmpEchoRepliesSent = c.IcmpEchoRepliesSent,
            EventsDropped = c.EventsDropped,
            KernelDrops = stats?.KernelDrops ?? 0,
            InterfaceDrops = stats?.InterfaceDrops ?? 0,
            DhcpState = stack.Dhcp?.State,
            TcpSegmentsReceived = c.TcpSegmentsReceived,
            TcpSegmentsSent = c.TcpSegmentsSent,
            TcpRetransmitsRto = c.TcpRetransmitsRto,
            TcpRetransmitsFast = c.TcpRetransmitsFast,
            TcpRetransmitsTlp = c.TcpRetransmitsTlp,
            TcpResetsSent = c.TcpResetsSent,
            TcpResetsReceived = c.TcpResetsReceived,
            TcpActiveOpens = c.TcpActiveOpens,
            TcpPassiveOpens = c.TcpPassiveOpens,
            TcpConnectionsByState = byState,
        };
    }
}
