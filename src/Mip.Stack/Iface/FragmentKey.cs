using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>
/// What identifies the fragments of one datagram: RFC 791 §3.2 (reassembly) pairs fragments by source, destination,
/// protocol and identification.
/// </summary>
internal readonly record struct FragmentKey(Ipv4Address Source, Ipv4Address Destination, byte Protocol, ushort Identification);
