namespace Mip.Stack.Iface;

/// <summary>Why the <see cref="Ipv4Reassembler"/> discarded a fragment or a datagram.</summary>
internal enum ReassemblyDropReason : byte
{
    None,

    /// <summary>Offset plus length runs past the largest payload an IPv4 datagram can carry.</summary>
    Oversize,

    /// <summary>A fragment with More Fragments set whose length is not a multiple of 8 (RFC 791 §3.2), or a negative or unaligned offset.</summary>
    Misaligned,

    /// <summary>A fragment with More Fragments set that carries no data.</summary>
    Empty,

    /// <summary>Two fragments overlap and their bytes differ (RFC 5722-style caution: trust neither).</summary>
    ConflictingOverlap,

    /// <summary>A second last fragment with a different end, or data beyond the end the last fragment set.</summary>
    InconsistentEnd,

    /// <summary>The memory bound could not make room for the fragment.</summary>
    Memory,

    /// <summary>Evicted to make room for a newer datagram when the concurrent datagram limit was reached.</summary>
    TooManyDatagrams,
}
