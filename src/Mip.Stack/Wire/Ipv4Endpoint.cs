namespace Mip.Stack.Wire;

/// <summary>An IPv4 address and a port.</summary>
public readonly record struct Ipv4Endpoint(Ipv4Address Address, ushort Port)
{
    public override string ToString() => $"{Address}:{Port}";
}
