namespace Mip.Stack.Sockets.Dhcp;

/// <summary>The client states of RFC 2131 §4.4 (figure 5), plus ARP probing (RFC 5227 §2.1) and Stopped.</summary>
public enum DhcpClientState : byte
{
    /// <summary>No lease; waiting to send (or resend after a NAK or DECLINE) the first DHCPDISCOVER.</summary>
    Init,

    /// <summary>DHCPDISCOVER sent; collecting DHCPOFFERs.</summary>
    Selecting,

    /// <summary>DHCPREQUEST sent for a chosen offer; waiting for DHCPACK or DHCPNAK.</summary>
    Requesting,

    /// <summary>DHCPACK received; probing the address with ARP before using it (RFC 2131 §4.4.1, RFC 5227 §2.1).</summary>
    Probing,

    /// <summary>Configured with a valid lease; waiting for T1.</summary>
    Bound,

    /// <summary>Past T1: unicasting DHCPREQUEST to the leasing server.</summary>
    Renewing,

    /// <summary>Past T2: broadcasting DHCPREQUEST to any server.</summary>
    Rebinding,

    /// <summary>Remembers an address (RFC 2131 §3.2); about to send the INIT-REBOOT DHCPREQUEST.</summary>
    InitReboot,

    /// <summary>INIT-REBOOT DHCPREQUEST sent; waiting for DHCPACK or DHCPNAK.</summary>
    Rebooting,

    /// <summary>Not running: <see cref="DhcpClient.Stop"/> was called, or never started.</summary>
    Stopped,

    /// <summary>
    /// Stopping with a release: the unicast DHCPRELEASE waits for ARP to resolve the server (RFC 2131 §4.4.4), so the
    /// address stays configured until it has left or ARP gave up; then <see cref="Stopped"/>.
    /// </summary>
    Releasing,
}
