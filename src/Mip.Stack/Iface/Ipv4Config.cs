using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>The interface's IPv4 configuration. <paramref name="Gateway"/> is <see cref="Ipv4Address.Any"/> when there is none.</summary>
public sealed record Ipv4Config(Ipv4Address Address, Ipv4Address Mask, Ipv4Address Gateway, IReadOnlyList<Ipv4Address> DnsServers)
{
    public Ipv4Address BroadcastAddress => new(Address.Value | ~Mask.Value);

    public bool IsOnLink(Ipv4Address destination) => destination.SameSubnet(Address, Mask);

    public override string ToString() =>
        $"{Address}/{Mask.PrefixLength} gw {Gateway} dns [{string.Join(", ", DnsServers)}]";
}
