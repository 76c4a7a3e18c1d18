namespace Mip.Stack.Wire;

/// <summary>The DHCP option tags this stack reads or writes (RFC 2132; numbers from its sections).</summary>
internal enum DhcpOptionCode : byte
{
    Pad = 0,                    // §3.1
    SubnetMask = 1,             // §3.3
    Router = 3,                 // §3.5
    DomainNameServer = 6,       // §3.8
    HostName = 12,              // §3.14
    DomainName = 15,            // §3.17
    InterfaceMtu = 26,          // §5.1
    RequestedIpAddress = 50,    // §9.1
    IpAddressLeaseTime = 51,    // §9.2
    OptionOverload = 52,        // §9.3
    MessageType = 53,           // §9.6
    ServerIdentifier = 54,      // §9.7
    ParameterRequestList = 55,  // §9.8
    Message = 56,               // §9.9
    MaximumMessageSize = 57,    // §9.10
    RenewalTime = 58,           // §9.11 (T1)
    RebindingTime = 59,         // §9.12 (T2)
    ClientIdentifier = 61,      // §9.14
    End = 255,                  // §3.2
}
