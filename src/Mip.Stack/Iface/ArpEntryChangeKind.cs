namespace Mip.Stack.Iface;

/// <summary>What happened to an ARP cache entry.</summary>
public enum ArpEntryChangeKind : byte
{
    /// <summary>An address was resolved for the first time.</summary>
    Added = 0,
    /// <summary>A resolved address now maps to a different MAC.</summary>
    Updated = 1,
    /// <summary>The entry was removed (lifetime over without confirmation, or no longer on-link).</summary>
    Expired = 2,
}
