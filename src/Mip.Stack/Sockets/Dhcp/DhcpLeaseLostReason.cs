namespace Mip.Stack.Sockets.Dhcp;

/// <summary>Why a lease was given up.</summary>
public enum DhcpLeaseLostReason : byte
{
    /// <summary>No server answered before the lease ran out (RFC 2131 §4.4.5).</summary>
    Expired = 1,

    /// <summary>A server answered a renewal with DHCPNAK (RFC 2131 §4.4.5).</summary>
    Nak = 2,

    /// <summary>Another host kept using the address after we defended it once (RFC 5227 §2.4 (b)).</summary>
    Conflict = 3,

    /// <summary>The host stopped the client and sent DHCPRELEASE (RFC 2131 §4.4.6).</summary>
    Released = 4,

    /// <summary>The host stopped the client without releasing; the server still holds the lease for us.</summary>
    Stopped = 5,
}
