namespace Mip.Stack.Wire;

/// <summary>
/// Builds the three messages a server sends, field by field as RFC 2131 §4.3.1 table 3 prescribes: 'xid', 'flags',
/// 'giaddr' and 'chaddr' come from the client's message; option 54 is always present; a NAK carries no address and
/// no configuration.
/// </summary>
internal static class DhcpServerMessages
{
    /// <summary>The configuration a server hands out with an address (all but the mask optional).</summary>
    public readonly record struct Parameters(
        Ipv4Address ServerId, Ipv4Address SubnetMask, Ipv4Address? Router, IReadOnlyList<Ipv4Address> DnsServers,
        string? DomainName);

    /// <summary>
    /// DHCPOFFER: 'yiaddr' is the offered address, 'ciaddr' 0, option 51 the lease time (table 3: MUST), with T1/T2
    /// at the RFC 2131 §4.4.5 defaults of 1/2 and 7/8 of the lease so every client renews on the same schedule.
    /// </summary>
    public static DhcpRepr Offer(in DhcpRepr request, Ipv4Address offered, uint leaseSeconds, in Parameters p) =>
        WithParameters(Reply(request, DhcpMessageType.Offer, p.ServerId), p) with
        {
            YourAddress = offered,
            LeaseTimeSeconds = leaseSeconds,
            RenewalTimeSeconds = leaseSeconds / 2,
            RebindingTimeSeconds = (uint)((ulong)leaseSeconds * 7 / 8),
        };

    /// <summary>
    /// DHCPACK to a REQUEST: 'ciaddr' echoed, 'yiaddr' the leased address, option 51 the lease time (table 3: MUST).
    /// </summary>
    public static DhcpRepr Ack(in DhcpRepr request, Ipv4Address address, uint leaseSeconds, in Parameters p) =>
        Offer(request, address, leaseSeconds, p) with { MessageType = DhcpMessageType.Ack, ClientAddress = request.ClientAddress };

    /// <summary>DHCPACK to an INFORM: 'yiaddr' 0 and no lease time (table 3: MUST NOT); the client already has an address.</summary>
    public static DhcpRepr InformAck(in DhcpRepr request, in Parameters p) =>
        WithParameters(Reply(request, DhcpMessageType.Ack, p.ServerId), p) with { ClientAddress = request.ClientAddress };

    /// <summary>DHCPNAK: 'ciaddr', 'yiaddr' and 'siaddr' 0; only options 53, 54 and 56 (table 3).</summary>
    public static DhcpRepr Nak(in DhcpRepr request, Ipv4Address serverId, string message) =>
        Reply(request, DhcpMessageType.Nak, serverId) with { Message = message };

    private static DhcpRepr Reply(in DhcpRepr request, DhcpMessageType type, Ipv4Address serverId) => new()
    {
        Op = DhcpOpcode.BootReply,
        MessageType = type,
        TransactionId = request.TransactionId,
        Broadcast = request.Broadcast,
        RelayAgentAddress = request.RelayAgentAddress,
        ClientHardwareAddress = request.ClientHardwareAddress,
        ServerIdentifier = serverId,
    };

    private static DhcpRepr WithParameters(in DhcpRepr reply, in Parameters p) => reply with
    {
        SubnetMask = p.SubnetMask,
        Router = p.Router,
        DnsServers = p.DnsServers,
        DomainName = p.DomainName,
    };
}
