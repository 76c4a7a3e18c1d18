using Mip.Stack.Iface;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Tests.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Tcp;

/// <summary>
/// ARP giving up on a next hop reaches TCP: a connect fails with HostUnreachable when resolution fails (like Linux's
/// EHOSTUNREACH), an established connection only remembers it as the soft error a later timeout reports
/// (RFC 1122 §4.2.3.9).
/// </summary>
public sealed class TcpArpFailureTests
{
    private static readonly Ipv4Address Absent = Ipv4Address.Parse("192.168.2.77");

    [Fact]
    public void Connect_to_an_on_link_address_nobody_answers_fails_host_unreachable_when_arp_gives_up()
    {
        var h = new TcpHarness();
        var start = h.Now;
        var socket = h.Stack.ConnectTcp(new Ipv4Endpoint(Absent, 80), h.Now, new TcpSocketOptions { ConnectTimeout = TimeSpan.FromSeconds(30) });
        h.RunUntil(start + TimeSpan.FromSeconds(2.9));
        Assert.Equal(TcpState.SynSent, socket.State); // still resolving: three requests, one a second

        h.RunUntil(start + TimeSpan.FromSeconds(10));
        Assert.Equal(TcpState.Closed, socket.State);
        Assert.Equal(TcpError.HostUnreachable, socket.Error);
        var closed = Assert.Single(StackHarness.DrainEvents(h.Stack).OfType<TcpConnectionClosed>());
        // At the ARP give-up instant (MaxArpRequests requests, ArpRequestInterval apart, then one more interval), long
        // before the 30 s connect timeout.
        Assert.Equal(start + (NetStack.MaxArpRequests * h.Stack.Options.ArpRequestInterval), closed.At);
        Assert.Equal(TcpError.HostUnreachable, closed.Error);
        Assert.Empty(h.Stack.TcpSockets);
        Assert.True(h.Stack.Counters.Drops(DropReason.ArpUnresolved) >= 1);
    }

    [Fact]
    public void Connect_through_a_gateway_that_does_not_answer_arp_fails_host_unreachable()
    {
        var gateway = Ipv4Address.Parse("192.168.2.254");
        var h = new TcpHarness(customize: o => new StackOptions { Mac = o.Mac, StaticIpv4 = StackHarness.Config(Fixtures.IpB, gateway) });
        var start = h.Now;
        var socket = h.Stack.ConnectTcp(new Ipv4Endpoint(Ipv4Address.Parse("10.9.8.7"), 443), h.Now);
        h.RunUntil(start + TimeSpan.FromSeconds(5));
        Assert.Equal(TcpError.HostUnreachable, socket.Error);
    }

    [Fact]
    public void Only_connections_towards_the_failed_next_hop_are_told()
    {
        var h = new TcpHarness();
        var start = h.Now;
        var doomed = h.Stack.ConnectTcp(new Ipv4Endpoint(Absent, 80), h.Now);
        var live = h.Stack.ConnectTcp(new Ipv4Endpoint(h.PeerIp, 80), h.Now, new TcpSocketOptions { ConnectTimeout = TimeSpan.FromSeconds(30) });
        var syn = Assert.Single(h.Drain(), s => s.Flags == TcpFlags.Syn);
        Assert.Equal(live.LocalEndpoint.Port, syn.Repr.SourcePort);
        h.RunUntil(start + TimeSpan.FromSeconds(5));
        Assert.Equal(TcpError.HostUnreachable, doomed.Error);
        Assert.Equal(TcpState.SynSent, live.State); // its peer answers ARP; it just has not answered the SYN yet
        Assert.Equal(TcpError.None, live.Error);
    }

    [Fact]
    public void An_established_connection_whose_peer_stops_answering_arp_keeps_retransmitting_then_reports_host_unreachable()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: new TcpSocketOptions { NoDelay = true });
        h.AnswerArp = false;
        c.Socket.Send(new byte[100]);
        h.Advance(TimeSpan.Zero);
        Assert.Single(h.Drain()); // sent with the cached MAC; the peer never acknowledges it

        // The entry expires (60 s) and fails its unicast polls; the retransmissions after that (RTO backed off towards
        // 60 s) each wait for a fresh broadcast resolution that fails too. Ten retransmissions fit in 5 minutes.
        h.RunUntil(h.Now + TimeSpan.FromMinutes(5));
        Assert.True(h.Stack.Counters.Drops(DropReason.ArpUnresolved) >= 1, "a retransmission waited for ARP and was dropped when it gave up");
        Assert.Equal(TcpState.Established, c.Socket.State); // soft: RFC 1122 §4.2.3.9
        long retransmits = c.Socket.Stats.RetransmitsRto;

        h.RunUntil(h.Now + TimeSpan.FromMinutes(30));
        Assert.True(c.Socket.Stats.RetransmitsRto > retransmits, "it went on retransmitting after ARP gave up");
        Assert.Equal(TcpState.Closed, c.Socket.State);
        Assert.Equal(TcpError.HostUnreachable, c.Socket.Error); // the timeout reports the soft error
    }

    [Fact]
    public void An_acknowledgement_clears_the_soft_error_so_a_later_timeout_is_a_plain_timeout()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: new TcpSocketOptions { NoDelay = true });
        h.AnswerArp = false;
        c.Socket.Send(new byte[100]);
        h.Advance(TimeSpan.Zero);
        h.Drain();
        h.RunUntil(h.Now + TimeSpan.FromMinutes(5));
        Assert.True(h.Stack.Counters.Drops(DropReason.ArpUnresolved) >= 1);

        // The neighbour is back: the next retransmission resolves and the peer acknowledges it.
        h.AnswerArp = true;
        var until = h.Now + TimeSpan.FromMinutes(2);
        while (h.Now < until && !h.Drain().Any(s => s.Payload.Length == 100))
        {
            h.Advance(TimeSpan.FromMilliseconds(500));
        }
        c.LocalNext += 100;
        h.Send(c.Peer());
        Assert.Equal(100, c.Socket.Stats.BytesAcked);

        // Then the peer goes silent (ARP still answered): the retransmission limit reports a plain timeout.
        c.Socket.Send(new byte[50]);
        h.RunUntil(h.Now + TimeSpan.FromMinutes(30));
        Assert.Equal(TcpState.Closed, c.Socket.State);
        Assert.Equal(TcpError.TimedOut, c.Socket.Error);
    }
}
