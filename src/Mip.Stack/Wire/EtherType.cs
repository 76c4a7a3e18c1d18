namespace Mip.Stack.Wire;

/// <summary>Ethernet II type field values (IEEE 802.3 / IANA ether-numbers) this stack knows by name.</summary>
public enum EtherType : ushort
{
    Ipv4 = 0x0800,
    Arp = 0x0806,
    Vlan = 0x8100,
    Ipv6 = 0x86DD,
}
