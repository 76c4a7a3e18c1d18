namespace Mip.Stack.Iface;

/// <summary>Why an echo request did not get out or got an error back.</summary>
public enum PingFailureReason : byte
{
    /// <summary>ARP resolution of the next hop gave up, or a router reported the host unreachable.</summary>
    HostUnreachable = 0,
    /// <summary>A router reported the network unreachable.</summary>
    NetworkUnreachable = 1,
    /// <summary>A router reported the TTL exceeded in transit.</summary>
    TtlExceeded = 2,
    /// <summary>A router reported another destination unreachable code.</summary>
    Unreachable = 3,
    /// <summary>
    /// The request was still waiting for ARP when the interface lost the address it was sent from (DHCP lease lost,
    /// released or expired, or the address changed), so it was discarded rather than sent from an address that may
    /// already be another host's.
    /// </summary>
    AddressLost = 4,
}
