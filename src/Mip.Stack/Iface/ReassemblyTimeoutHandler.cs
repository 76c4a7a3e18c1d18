namespace Mip.Stack.Iface;

/// <summary>
/// Told about a datagram whose reassembly timed out after fragment zero arrived: <paramref name="quote"/> is fragment
/// zero's IP header and the first (up to 8) payload bytes, valid only during the call.
/// </summary>
internal delegate void ReassemblyTimeoutHandler(in FragmentKey key, ReadOnlySpan<byte> quote);
