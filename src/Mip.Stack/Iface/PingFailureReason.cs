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
}
