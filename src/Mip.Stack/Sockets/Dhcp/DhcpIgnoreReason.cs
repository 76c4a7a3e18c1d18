namespace Mip.Stack.Sockets.Dhcp;

/// <summary>Why a datagram that reached port 68 did not move the client.</summary>
public enum DhcpIgnoreReason : byte
{
    /// <summary>Shorter than header + cookie, wrong cookie, htype/hlen not Ethernet, or an option overran its region.</summary>
    Malformed,

    /// <summary>A BOOTREQUEST (another client's broadcast, or our own echoed).</summary>
    NotBootReply,

    /// <summary>A BOOTP reply without option 53.</summary>
    NotDhcp,

    /// <summary>'chaddr' is another client's.</summary>
    ForeignHardwareAddress,

    /// <summary>No exchange is in progress (Init, Probing, Bound, Stopped).</summary>
    NotExpected,

    /// <summary>'xid' does not match the exchange in progress (RFC 2131 §4.1: the client matches replies by xid).</summary>
    WrongTransactionId,

    /// <summary>A message type the current state does not take (an OFFER while requesting, an ACK while selecting).</summary>
    UnexpectedMessageType,

    /// <summary>An ACK or NAK from a server other than the one selected (RFC 2131 §4.4.1).</summary>
    WrongServer,

    /// <summary>An OFFER or ACK without a usable 'yiaddr' or server identifier.</summary>
    Unusable,

    /// <summary>A DHCPACK to a first REQUEST without option 51 (RFC 2131 §4.3.1 table 3 makes it a MUST).</summary>
    MissingLeaseTime,
}
