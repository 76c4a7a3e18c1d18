using Mip.Stack.Iface;
using Mip.Stack.Pcap;
using Mip.Stack.Sockets.Dhcp;

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

    // TCP: once the TCP socket merges, copy its StackCounters fields here (segments received/sent, retransmits by
    // cause, connections opened/reset, listener overflows) and observe them in StackMetrics.Tcp.cs.

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
        };
    }
}
