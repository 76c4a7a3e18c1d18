using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>Receives a UDP datagram for an internally bound port. <paramref name="payload"/> is valid only during the call.</summary>
internal delegate void UdpDatagramHandler(ReadOnlySpan<byte> payload, Ipv4Endpoint source, Ipv4Address destination, Instant now);
