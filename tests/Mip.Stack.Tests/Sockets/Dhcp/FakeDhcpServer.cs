using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Dhcp;

/// <summary>
/// A scripted DHCP server: builds OFFER/ACK/NAK payloads answering a request the client sent (same xid and chaddr,
/// BROADCAST flag echoed). Tests change its fields, or pass an edit, to play odd servers.
/// </summary>
internal sealed class FakeDhcpServer
{
    public Ipv4Address ServerId { get; set; } = Ipv4Address.Parse("192.168.2.1");
    public Ipv4Address Offered { get; set; } = Ipv4Address.Parse("192.168.2.57");
    public Ipv4Address? Mask { get; set; } = Ipv4Address.Parse("255.255.255.0");
    public Ipv4Address? Router { get; set; } = Ipv4Address.Parse("192.168.2.1");
    public IReadOnlyList<Ipv4Address> Dns { get; set; } = [Ipv4Address.Parse("192.168.2.1")];
    public string? Domain { get; set; } = "lab";
    public uint? LeaseSeconds { get; set; } = 3600;
    public uint? T1Seconds { get; set; }
    public uint? T2Seconds { get; set; }

    public byte[] Offer(SentDhcp request, Func<DhcpRepr, DhcpRepr>? edit = null) => Reply(request, DhcpMessageType.Offer, edit);

    public byte[] Ack(SentDhcp request, Func<DhcpRepr, DhcpRepr>? edit = null) => Reply(request, DhcpMessageType.Ack, edit);

    /// <summary>RFC 2131 §4.3.2: a NAK has yiaddr 0 and only 53, 54 and an optional message.</summary>
    public byte[] Nak(SentDhcp request) => Emit(Header(request.Repr, DhcpMessageType.Nak) with
    {
        ServerIdentifier = ServerId,
        Message = "requested address not available",
    });

    private byte[] Reply(SentDhcp request, DhcpMessageType type, Func<DhcpRepr, DhcpRepr>? edit)
    {
        var req = request.Repr;
        var reply = Header(req, type) with
        {
            ClientAddress = req.ClientAddress,
            YourAddress = req.ClientAddress.IsAny ? req.RequestedAddress ?? Offered : req.ClientAddress,
            ServerAddress = ServerId,
            ServerIdentifier = ServerId,
            SubnetMask = Mask,
            Router = Router,
            DnsServers = Dns,
            DomainName = Domain,
            LeaseTimeSeconds = LeaseSeconds,
            RenewalTimeSeconds = T1Seconds,
            RebindingTimeSeconds = T2Seconds,
        };
        if (type == DhcpMessageType.Offer)
        {
            reply = reply with { YourAddress = Offered };
        }
        return Emit(edit is null ? reply : edit(reply));
    }

    private static DhcpRepr Header(DhcpRepr request, DhcpMessageType type) => new()
    {
        Op = DhcpOpcode.BootReply,
        MessageType = type,
        TransactionId = request.TransactionId,
        Broadcast = request.Broadcast,
        ClientHardwareAddress = request.ClientHardwareAddress,
    };

    private static byte[] Emit(DhcpRepr reply)
    {
        var b = new byte[reply.BufferLength];
        reply.Emit(b);
        return b;
    }
}
