using System.Diagnostics.Metrics;
using Mip.Stack.Sockets.Tcp;

namespace Mip.Server.Metrics;

internal sealed partial class StackMetrics
{
    private static readonly TcpState[] TcpStates = Enum.GetValues<TcpState>();

    // Loopback and LAN RTTs sit in the tens of microseconds to milliseconds; WAN paths in tens to hundreds of ms.
    private static readonly double[] SrttBuckets =
        [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    partial void CreateTcpInstruments()
    {
        _meter.CreateObservableCounter("mip.tcp.segments", ObserveTcpSegments, "{segment}", "TCP segments, by direction");
        _meter.CreateObservableCounter("mip.tcp.retransmits", ObserveTcpRetransmits, "{segment}",
            "TCP segments retransmitted, by cause (rto: timeout, fast: duplicate ACKs/SACK/RACK, tlp: tail loss probe)");
        _meter.CreateObservableCounter("mip.tcp.resets", ObserveTcpResets, "{segment}", "TCP RST segments, by direction");
        _meter.CreateObservableCounter("mip.tcp.opens", ObserveTcpOpens, "{connection}",
            "TCP connections opened, by side (active: connect, passive: accepted by a listener)");
        _meter.CreateObservableGauge("mip.tcp.connections", ObserveTcpConnections, "{connection}",
            "TCP connections in the stack's table, by state");
        var srtt = _meter.CreateHistogram("mip.tcp.srtt", "s",
            "Smoothed RTT of gRPC-held TCP connections, taken when each connection ends",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SrttBuckets });
        var refused = _meter.CreateCounter<long>("mip.grpc.listener.refused", "{connection}",
            "Connections a gRPC listener reset because its client already held --max-sockets-per-client sockets");
        _bridge.ListenerRefused = () => refused.Add(1);
        _bridge.TcpConnectionEnded = rtt =>
        {
            if (rtt > TimeSpan.Zero)
            {
                srtt.Record(rtt.TotalSeconds);
            }
        };
    }

    private IEnumerable<Measurement<long>> ObserveTcpSegments()
    {
        var s = Snap;
        yield return new Measurement<long>(s.TcpSegmentsSent, new KeyValuePair<string, object?>("direction", "sent"));
        yield return new Measurement<long>(s.TcpSegmentsReceived, new KeyValuePair<string, object?>("direction", "received"));
    }

    private IEnumerable<Measurement<long>> ObserveTcpRetransmits()
    {
        var s = Snap;
        yield return new Measurement<long>(s.TcpRetransmitsRto, new KeyValuePair<string, object?>("cause", "rto"));
        yield return new Measurement<long>(s.TcpRetransmitsFast, new KeyValuePair<string, object?>("cause", "fast"));
        yield return new Measurement<long>(s.TcpRetransmitsTlp, new KeyValuePair<string, object?>("cause", "tlp"));
    }

    private IEnumerable<Measurement<long>> ObserveTcpResets()
    {
        var s = Snap;
        yield return new Measurement<long>(s.TcpResetsSent, new KeyValuePair<string, object?>("direction", "sent"));
        yield return new Measurement<long>(s.TcpResetsReceived, new KeyValuePair<string, object?>("direction", "received"));
    }

    private IEnumerable<Measurement<long>> ObserveTcpOpens()
    {
        var s = Snap;
        yield return new Measurement<long>(s.TcpActiveOpens, new KeyValuePair<string, object?>("side", "active"));
        yield return new Measurement<long>(s.TcpPassiveOpens, new KeyValuePair<string, object?>("side", "passive"));
    }

    private IEnumerable<Measurement<int>> ObserveTcpConnections()
    {
        var s = Snap;
        foreach (var state in TcpStates)
        {
            if (state != TcpState.Listen)
            {
                yield return new Measurement<int>(s.TcpConnectionsByState[(int)state],
                    new KeyValuePair<string, object?>("state", Grpc.EventMapper.ToSnakeCase(state.ToString())));
            }
        }
    }
}
