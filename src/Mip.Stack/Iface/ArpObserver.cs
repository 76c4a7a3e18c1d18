using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>Receives every well-formed ARP packet the stack accepts (see <see cref="NetStack"/>'s ARP observer seam).</summary>
internal delegate void ArpObserver(in ArpRepr arp, Instant now);
