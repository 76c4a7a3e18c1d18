namespace Mip.Stack.Wire;

/// <summary>ARP opcodes (RFC 826; IANA arp-parameters).</summary>
public enum ArpOperation : ushort
{
    Request = 1,
    Reply = 2,
}
