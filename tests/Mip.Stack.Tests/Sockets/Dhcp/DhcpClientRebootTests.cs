using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Wire;
using static Mip.Stack.Tests.Sockets.Dhcp.DhcpClientHarness;

namespace Mip.Stack.Tests.Sockets.Dhcp;

/// <summary>INIT-REBOOT with a remembered address (RFC 2131 §3.2).</summary>
public sealed class DhcpClientRebootTests
{
    private static DhcpClientHarness Rebooting() => new(new DhcpClientOptions
    {
        PreviousAddress = Offered,
        RetransmitJitter = TimeSpan.Zero,
        ArpProbe = false,
        AnnounceCount = 0,
    });

    [Fact]
    public void Start_broadcasts_request_for_the_previous_address_without_server_id()
    {
        var h = Rebooting();
        h.Start(S(0));
        Assert.Equal(DhcpClientState.Rebooting, h.Client.State);
        var request = Assert.Single(h.Host.Sent);
        Assert.Equal((Ipv4Address.Any, Ipv4Address.Broadcast), (request.Source, request.Destination));
        var r = request.Repr;
        Assert.Equal(DhcpMessageType.Request, r.MessageType);
        Assert.Equal(Ipv4Address.Any, r.ClientAddress);
        Assert.Equal(Offered, r.RequestedAddress);
        Assert.Null(r.ServerIdentifier);
    }

    [Fact]
    public void Ack_binds_the_previous_address()
    {
        var h = Rebooting();
        h.Start(S(0));
        h.Deliver(h.Server.Ack(h.LastSent), S(0.5));
        Assert.Equal(DhcpClientState.Bound, h.Client.State);
        Assert.Equal(Offered, h.Client.Lease!.Address);
        Assert.Equal(ServerId, h.Client.Lease.ServerId);
        Assert.Equal(S(0), h.Client.Lease.AcquiredAt);
        Assert.Equal(S(0.5), h.Host.Configs.Single().At);
        Assert.IsType<DhcpLeaseAcquired>(h.Host.Events.Single());
    }

    [Fact]
    public void Nak_falls_back_to_discover_without_the_refused_address()
    {
        var h = Rebooting();
        h.Start(S(0));
        h.Deliver(h.Server.Nak(h.LastSent), S(0.5));
        Assert.Equal(DhcpClientState.Selecting, h.Client.State);
        Assert.Equal((DhcpMessageType.Discover, S(0.5)), (h.LastSent.Type, h.LastSent.At));
        Assert.Null(h.LastSent.Repr.RequestedAddress);
        Assert.Empty(h.Host.Configs);
        Assert.Empty(h.Host.Events);
    }

    [Fact]
    public void Silence_falls_back_to_discover_after_the_reboot_timeout_still_hinting_the_address()
    {
        var h = Rebooting();
        h.Start(S(0));
        h.RunUntil(S(10));
        // REQUEST at 0 and 4; the next try (12) is cut to the 10-s INIT-REBOOT timeout, which turns to DISCOVER.
        Assert.Equal([(DhcpMessageType.Request, S(0)), (DhcpMessageType.Request, S(4)), (DhcpMessageType.Discover, S(10))],
            h.Host.Sent.Select(s => (s.Type, s.At)));
        Assert.Equal(Offered, h.LastSent.Repr.RequestedAddress);
        Assert.Equal(DhcpClientState.Selecting, h.Client.State);
    }

    [Fact]
    public void Start_while_running_is_a_caller_error_and_restart_after_stop_works()
    {
        var h = Rebooting();
        h.Start(S(0));
        Assert.Throws<InvalidOperationException>(() => h.Client.Start(S(1)));
        h.Client.Stop(S(1), release: false);
        Assert.Equal(DhcpClientState.Stopped, h.Client.State);
        h.Start(S(2));
        Assert.Equal(DhcpClientState.Rebooting, h.Client.State);
        Assert.Equal(S(2), h.LastSent.At);
    }
}
