namespace Mip.Stack.Wire;

/// <summary>
/// Builds the four messages a client sends, field by field as RFC 2131 §4.4.1 table 5 prescribes. Every message
/// carries option 61 (type 1 + MAC, RFC 2132 §9.14) so servers that key leases on the client identifier find the
/// lease again on DECLINE and RELEASE.
/// </summary>
internal static class DhcpClientMessages
{
    /// <summary>
    /// Option 55: subnet mask, router, DNS, domain name, interface MTU, lease time, server id, T1, T2
    /// (RFC 2132 §9.8: in order of the client's preference).
    /// </summary>
    public static readonly ReadOnlyMemory<byte> ParameterRequestList = new byte[]
    {
        (byte)DhcpOptionCode.SubnetMask,
        (byte)DhcpOptionCode.Router,
        (byte)DhcpOptionCode.DomainNameServer,
        (byte)DhcpOptionCode.DomainName,
        (byte)DhcpOptionCode.InterfaceMtu,
        (byte)DhcpOptionCode.IpAddressLeaseTime,
        (byte)DhcpOptionCode.ServerIdentifier,
        (byte)DhcpOptionCode.RenewalTime,
        (byte)DhcpOptionCode.RebindingTime,
    };

    /// <summary>
    /// DHCPDISCOVER: ciaddr 0, option 50 MAY carry a preferred address, option 54 MUST NOT appear (table 5). The
    /// BROADCAST bit is set: a client without an address cannot receive unicast IP (RFC 2131 §4.1).
    /// </summary>
    public static DhcpRepr Discover(DhcpClientIdentity id, uint xid, ushort secs, Ipv4Address? preferred) =>
        Common(id, DhcpMessageType.Discover, xid, secs) with
        {
            Broadcast = true,
            RequestedAddress = preferred is { IsAny: false } ? preferred : null,
            HostName = id.HostName,
            ParameterRequestList = ParameterRequestList,
            MaximumMessageSize = id.MaximumMessageSize,
        };

    /// <summary>
    /// DHCPREQUEST per RFC 2131 §4.3.2: in SELECTING option 50 is the offered address and option 54 the chosen
    /// server; in INIT-REBOOT option 50 is the remembered address and option 54 MUST NOT appear; in RENEWING and
    /// REBINDING ciaddr is the leased address and neither option appears.
    /// </summary>
    public static DhcpRepr Request(DhcpClientIdentity id, DhcpRequestState state, uint xid, ushort secs,
        Ipv4Address address, Ipv4Address serverId)
    {
        bool bound = state is DhcpRequestState.Renewing or DhcpRequestState.Rebinding;
        return Common(id, DhcpMessageType.Request, xid, secs) with
        {
            Broadcast = !bound,
            ClientAddress = bound ? address : Ipv4Address.Any,
            RequestedAddress = bound ? null : address,
            ServerIdentifier = state == DhcpRequestState.Selecting ? serverId : null,
            HostName = id.HostName,
            ParameterRequestList = ParameterRequestList,
            MaximumMessageSize = id.MaximumMessageSize,
        };
    }

    /// <summary>
    /// DHCPDECLINE: ciaddr 0, secs 0, option 50 = the declined address, option 54 MUST; no parameter list, no max
    /// size, no host name (table 5).
    /// </summary>
    public static DhcpRepr Decline(DhcpClientIdentity id, uint xid, Ipv4Address address, Ipv4Address serverId) =>
        Common(id, DhcpMessageType.Decline, xid, 0) with { RequestedAddress = address, ServerIdentifier = serverId };

    /// <summary>DHCPRELEASE: ciaddr = the released address, secs 0, option 54 MUST, option 50 MUST NOT (table 5).</summary>
    public static DhcpRepr Release(DhcpClientIdentity id, uint xid, Ipv4Address address, Ipv4Address serverId) =>
        Common(id, DhcpMessageType.Release, xid, 0) with { ClientAddress = address, ServerIdentifier = serverId };

    private static DhcpRepr Common(DhcpClientIdentity id, DhcpMessageType type, uint xid, ushort secs) => new()
    {
        Op = DhcpOpcode.BootRequest,
        MessageType = type,
        TransactionId = xid,
        Seconds = secs,
        ClientHardwareAddress = id.Mac,
        ClientIdentifierFromHardwareAddress = true,
    };
}
