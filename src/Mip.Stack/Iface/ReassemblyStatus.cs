namespace Mip.Stack.Iface;

/// <summary>Outcome of handing one fragment to the <see cref="Ipv4Reassembler"/>.</summary>
internal enum ReassemblyStatus : byte
{
    /// <summary>The fragment was stored; the datagram still has holes.</summary>
    Incomplete,

    /// <summary>The fragment completed its datagram (or was not a fragment at all).</summary>
    Complete,

    /// <summary>The fragment, and its whole datagram if one was pending, was discarded; see <see cref="Ipv4Reassembler.LastDropReason"/>.</summary>
    Dropped,
}
