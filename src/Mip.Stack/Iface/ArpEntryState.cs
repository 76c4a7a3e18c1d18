namespace Mip.Stack.Iface;

/// <summary>State of an ARP cache entry.</summary>
public enum ArpEntryState : byte
{
    /// <summary>Requests sent, no answer yet; outgoing datagrams wait in a small queue.</summary>
    Incomplete = 0,
    /// <summary>Resolved and confirmed within the entry lifetime.</summary>
    Reachable = 1,
    /// <summary>Lifetime over: still used, but the next use re-asks (unicast) and the entry goes if nobody answers.</summary>
    Stale = 2,
}
