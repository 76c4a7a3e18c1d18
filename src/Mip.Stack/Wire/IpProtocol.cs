namespace Mip.Stack.Wire;

/// <summary>IPv4 protocol numbers (IANA protocol-numbers) this stack knows by name.</summary>
public enum IpProtocol : byte
{
    Icmp = 1,
    Tcp = 6,
    Udp = 17,
}
