using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dhcp;

/// <summary>
/// One address the server has handed out: <see cref="IsOffered"/> while only offered (reserved until
/// <see cref="ExpiresAt"/>), otherwise bound until then.
/// </summary>
public sealed record DhcpServerLease(MacAddress Mac, Ipv4Address Address, Instant ExpiresAt, bool IsOffered);
