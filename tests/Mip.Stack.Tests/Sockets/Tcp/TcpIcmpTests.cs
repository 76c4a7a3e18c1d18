using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Tcp;

/// <summary>ICMP errors about our segments: path MTU (RFC 1191), hard and soft errors (RFC 1122 §4.2.3.9, RFC 5927).</summary>
public sealed class TcpIcmpTests
{
    [Fact]
    public void Fragmentation_needed_shrinks_segments_and_resends_at_once()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: new TcpSocketOptions { NoDelay = true });
        c.Socket.Send(new byte[3000]);
        h.Advance(TimeSpan.Zero);
        var sent = h.Drain();
        Assert.Equal(1460, sent[0].Payload.Length);
        Assert.All(sent, s => Assert.True(s.DontFragment)); // RFC 1191: DF on every segment
        h.SendUnreachable(IcmpUnreachableCode.FragmentationNeeded, sent[0], nextHopMtu: 1000);
        var resent = h.Drain();
        Assert.NotEmpty(resent);
        Assert.Equal(c.LocalNext, resent[0].Seq);
        Assert.All(resent, s => Assert.True(s.Payload.Length <= 960));
        Assert.Equal(960, c.Socket.Stats.SendMss);
    }

    [Fact]
    public void An_ICMP_error_quoting_a_sequence_number_we_never_sent_is_ignored()
    {
        var h = new TcpHarness();
        var c = TcpConnection.Accept(h, options: new TcpSocketOptions { NoDelay = true });
        c.Socket.Send(new byte[100]);
        h.Advance(TimeSpan.Zero);
        var sent = h.ExpectOne();
        // RFC 5927 §4.1: a blind attacker does not know the sequence numbers in flight.
        h.SendUnreachable(IcmpUnreachableCode.FragmentationNeeded, sent with { Repr = sent.Repr with { SequenceNumber = sent.Seq + 100_000 } }, 600);
        h.ExpectNothing();
    }

    [Fact]
    public void Port_unreachable_refuses_a_connect()
    {
        var h = new TcpHarness();
        var socket = h.Stack.ConnectTcp(new Ipv4Endpoint(h.PeerIp, 81), h.Now);
        var syn = h.ExpectOne();
        h.SendUnreachable(IcmpUnreachableCode.PortUnreachable, syn, quotedTotalLength: 60);
        Assert.Equal(TcpState.Closed, socket.State);
        Assert.Equal(TcpError.ConnectionRefused, socket.Error);
    }

    [Fact]
    public void Host_unreachable_is_soft_and_reported_when_the_connect_times_out()
    {
        var h = new TcpHarness();
        var socket = h.Stack.ConnectTcp(new Ipv4Endpoint(h.PeerIp, 81), h.Now, new TcpSocketOptions { ConnectTimeout = TimeSpan.FromSeconds(5) });
        var syn = h.ExpectOne();
        h.SendUnreachable(IcmpUnreachableCode.HostUnreachable, syn, quotedTotalLength: 60);
        Assert.Equal(TcpState.SynSent, socket.State); // RFC 1122 §4.2.3.9: do not abort on a soft error
        h.RunUntil(h.Now + TimeSpan.FromSeconds(6));
        Assert.Equal(TcpState.Closed, socket.State);
        Assert.Equal(TcpError.HostUnreachable, socket.Error);
    }
}
