using System.Globalization;
using System.Text;
using Mip.Stack;
using Mip.Stack.Iface;
using Mip.Stack.Sockets.Tcp;

namespace Mip.Server.Demo;

/// <summary>The text of <c>GET /</c>: who the stack is, its address and lease, its counters and its sockets.</summary>
internal static class HttpStatusPage
{
    public static string Render(NetStack stack, HttpDemoServer server, Instant now)
    {
        var c = stack.Counters;
        var text = new StringBuilder();
        void Line(string label, FormattableString value) =>
            text.Append(label.PadRight(14)).Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');

        text.Append("mip: a user-space TCP/IP stack, answering over its own TCP\n\n");
        Line("MAC", $"{stack.Mac}");
        Line("IPv4", $"{(stack.Ipv4 is { } ip ? ip.ToString() : "none")}");
        if (stack.Dhcp?.Lease is { } lease)
        {
            string left = lease.IsInfinite ? "infinite" : $"{(lease.ExpiresAt - now).TotalSeconds:F0} s left";
            Line("DHCP lease", $"{lease.Address} from {lease.ServerId}, {left}");
        }
        else
        {
            Line("DHCP lease", $"{(stack.Dhcp is null ? "none (static address)" : "none yet")}");
        }
        Line("link", $"{(stack.IsLinkUp ? "up" : "down")}");
        text.Append('\n');
        Line("frames", $"in {c.FramesReceived} ({c.BytesReceived} B), out {c.FramesSent} ({c.BytesSent} B), dropped {c.TotalDrops}");
        Line("ipv4", $"in {c.Ipv4Received}, out {c.Ipv4Sent}");
        Line("icmp", $"echo requests in {c.IcmpEchoRequestsReceived}, replies out {c.IcmpEchoRepliesSent}");
        Line("udp", $"in {c.UdpDatagramsReceived}, out {c.UdpDatagramsSent}");
        Line("tcp segments", $"in {c.TcpSegmentsReceived}, out {c.TcpSegmentsSent}");
        Line("tcp recovery", $"retransmits rto {c.TcpRetransmitsRto}, fast {c.TcpRetransmitsFast}, tlp {c.TcpRetransmitsTlp}; out-of-order {c.TcpOutOfOrderSegments}, dup acks {c.TcpDuplicateAcks}");
        Line("tcp resets", $"in {c.TcpResetsReceived}, out {c.TcpResetsSent}");
        text.Append('\n');
        var byState = stack.TcpSockets.GroupBy(s => s.State).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}");
        Line("tcp sockets", $"{stack.TcpSockets.Count} ({string.Join(", ", byState)}), listeners {stack.TcpListeners.Count}");
        Line("http", $"connections open {server.OpenConnections}, accepted {server.ConnectionsAccepted}, rejected {server.ConnectionsRejected}, requests {server.RequestsServed}");
        Line("http bytes", $"generated {server.BytesGenerated}, sunk {server.BytesSunk}");
        return text.ToString();
    }
}
