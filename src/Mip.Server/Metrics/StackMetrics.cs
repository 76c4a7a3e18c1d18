using System.Diagnostics.Metrics;
using Mip.Server.Grpc;
using Mip.Stack.Iface;
using Mip.Stack.Sockets.Dhcp;

namespace Mip.Server.Metrics;

/// <summary>
/// The stack's counters as OpenTelemetry instruments on meter "Mip.Stack": observable counters that read the last
/// <see cref="CountersSnapshot"/> the loop published, never the stack itself. Names follow the OpenTelemetry
/// conventions; the Prometheus exporter turns <c>mip.link.frames.received</c> with unit <c>{frame}</c> into
/// <c>mip_link_frames_received_total</c> and unit <c>By</c> into <c>..._bytes_total</c>.
/// </summary>
internal sealed partial class StackMetrics : IDisposable
{
    public const string MeterName = "Mip.Stack";

    private static readonly DropReason[] Reasons = Enum.GetValues<DropReason>();
    private static readonly DhcpClientState[] DhcpStates = Enum.GetValues<DhcpClientState>();
    private readonly Meter _meter;
    private readonly CountersPublisher _counters;

    private readonly StackBridge _bridge;

    public StackMetrics(IMeterFactory meters, CountersPublisher counters, StackBridge bridge)
    {
        _meter = meters.Create(MeterName);
        _counters = counters;
        _bridge = bridge;
        _meter.CreateObservableCounter("mip.link.frames.received", () => Snap.FramesReceived, "{frame}", "Ethernet frames the stack received");
        _meter.CreateObservableCounter("mip.link.frames.sent", () => Snap.FramesSent, "{frame}", "Ethernet frames the stack sent");
        _meter.CreateObservableCounter("mip.link.received", () => Snap.BytesReceived, "By", "Bytes of Ethernet frames received, headers included");
        _meter.CreateObservableCounter("mip.link.sent", () => Snap.BytesSent, "By", "Bytes of Ethernet frames sent, headers included");
        _meter.CreateObservableCounter("mip.drops", ObserveDrops, "{packet}", "Frames and datagrams the stack dropped, by reason");
        _meter.CreateObservableCounter("mip.pcap.kernel.drops", () => Snap.KernelDrops, "{frame}",
            "Frames the kernel dropped before the stack saw them because the capture ring was full (pcap_stats ps_drop)");
        _meter.CreateObservableCounter("mip.pcap.interface.drops", () => Snap.InterfaceDrops, "{frame}",
            "Frames the interface dropped (pcap_stats ps_ifdrop)");
        _meter.CreateObservableCounter("mip.arp.messages", ObserveArp, "{message}", "ARP requests and replies, by operation and direction");
        _meter.CreateObservableCounter("mip.icmp.echo.messages", ObserveIcmpEcho, "{message}", "ICMP echo requests and replies, by type and direction");
        _meter.CreateObservableCounter("mip.udp.datagrams", ObserveUdp, "{datagram}", "UDP datagrams, by direction");
        _meter.CreateObservableCounter("mip.events.dropped", () => Snap.EventsDropped, "{event}", "Stack events lost because the event queue was full");
        _meter.CreateObservableGauge("mip.dhcp.state", ObserveDhcpState, "{state}",
            "The DHCP client's state: 1 for the current state, 0 for the others (absent with a static address)");
        CreateTcpInstruments();
    }

    private CountersSnapshot Snap => _counters.Latest;

    /// <summary>The TCP instruments (StackMetrics.Tcp.cs).</summary>
    partial void CreateTcpInstruments();

    private IEnumerable<Measurement<long>> ObserveDrops()
    {
        var snap = Snap;
        foreach (var reason in Reasons)
        {
            yield return new Measurement<long>(snap.Drops[(int)reason], new KeyValuePair<string, object?>("reason", EventMapper.DropReasonName(reason)));
        }
    }

    private IEnumerable<Measurement<long>> ObserveArp()
    {
        var s = Snap;
        yield return Tagged(s.ArpRequestsSent, "operation", "request", "direction", "sent");
        yield return Tagged(s.ArpRequestsReceived, "operation", "request", "direction", "received");
        yield return Tagged(s.ArpRepliesSent, "operation", "reply", "direction", "sent");
        yield return Tagged(s.ArpRepliesReceived, "operation", "reply", "direction", "received");
    }

    private IEnumerable<Measurement<long>> ObserveIcmpEcho()
    {
        var s = Snap;
        yield return Tagged(s.IcmpEchoRequestsSent, "type", "request", "direction", "sent");
        yield return Tagged(s.IcmpEchoRequestsReceived, "type", "request", "direction", "received");
        yield return Tagged(s.IcmpEchoRepliesSent, "type", "reply", "direction", "sent");
        yield return Tagged(s.IcmpEchoRepliesReceived, "type", "reply", "direction", "received");
    }

    private IEnumerable<Measurement<long>> ObserveUdp()
    {
        var s = Snap;
        yield return new Measurement<long>(s.UdpDatagramsSent, new KeyValuePair<string, object?>("direction", "sent"));
        yield return new Measurement<long>(s.UdpDatagramsReceived, new KeyValuePair<string, object?>("direction", "received"));
    }

    private IEnumerable<Measurement<int>> ObserveDhcpState()
    {
        if (Snap.DhcpState is not { } current)
        {
            yield break;
        }
        foreach (var state in DhcpStates)
        {
            yield return new Measurement<int>(state == current ? 1 : 0, new KeyValuePair<string, object?>("state", EventMapper.ToSnakeCase(state.ToString())));
        }
    }

    private static Measurement<long> Tagged(long value, string k1, string v1, string k2, string v2) =>
        new(value, new KeyValuePair<string, object?>(k1, v1), new KeyValuePair<string, object?>(k2, v2));

    public void Dispose() => _meter.Dispose();
}
