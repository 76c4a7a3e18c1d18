using System.Buffers.Binary;
using System.Text;

namespace Mip.Stack.Wire;

internal readonly partial record struct DhcpRepr
{
    /// <summary>
    /// Reads the header and the known options of <paramref name="message"/>. Returns false only when the option
    /// area is structurally broken (an option overruns its region, RFC 2132 §2), because then no option can be
    /// trusted. A single known option with an impossible length is ignored, like an unknown one, so one odd option
    /// from a quirky server does not cost the whole lease. A message without option 53 parses with
    /// <see cref="DhcpMessageType.None"/> (plain BOOTP).
    /// </summary>
    public static bool TryParse(DhcpMessage message, out DhcpRepr repr)
    {
        repr = default;
        var reader = message.GetOptions();
        var type = DhcpMessageType.None;
        Ipv4Address? mask = null, router = null, serverId = null, requested = null;
        List<Ipv4Address>? dns = null;
        string? domain = null, hostName = null, text = null;
        ushort? mtu = null, maxSize = null;
        uint? lease = null, t1 = null, t2 = null;
        while (reader.TryReadNext(out var code, out var data))
        {
            switch (code)
            {
                case DhcpOptionCode.MessageType when data.Length == 1:
                    type = (DhcpMessageType)data[0];
                    break;
                case DhcpOptionCode.SubnetMask when data.Length == 4:
                    mask = Ipv4Address.Read(data);
                    break;
                case DhcpOptionCode.Router when data.Length >= 4 && data.Length % 4 == 0:
                    router = FirstNonZero(data);
                    break;
                case DhcpOptionCode.DomainNameServer when data.Length >= 4 && data.Length % 4 == 0:
                    dns = NonZero(data);
                    break;
                case DhcpOptionCode.DomainName:
                    domain = Ascii(data);
                    break;
                case DhcpOptionCode.HostName:
                    hostName = Ascii(data);
                    break;
                case DhcpOptionCode.Message:
                    text = Ascii(data);
                    break;
                case DhcpOptionCode.InterfaceMtu when data.Length == 2:
                    ushort m = BinaryPrimitives.ReadUInt16BigEndian(data);
                    mtu = m >= 68 ? m : null;
                    break;
                case DhcpOptionCode.IpAddressLeaseTime when data.Length == 4:
                    lease = BinaryPrimitives.ReadUInt32BigEndian(data);
                    break;
                case DhcpOptionCode.RenewalTime when data.Length == 4:
                    t1 = BinaryPrimitives.ReadUInt32BigEndian(data);
                    break;
                case DhcpOptionCode.RebindingTime when data.Length == 4:
                    t2 = BinaryPrimitives.ReadUInt32BigEndian(data);
                    break;
                case DhcpOptionCode.ServerIdentifier when data.Length == 4:
                    serverId = Ipv4Address.Read(data);
                    break;
                case DhcpOptionCode.RequestedIpAddress when data.Length == 4:
                    requested = Ipv4Address.Read(data);
                    break;
                case DhcpOptionCode.MaximumMessageSize when data.Length == 2:
                    maxSize = BinaryPrimitives.ReadUInt16BigEndian(data);
                    break;
                default:
                    break;
            }
        }
        if (reader.IsMalformed)
        {
            return false;
        }
        repr = new DhcpRepr
        {
            Op = message.Op,
            MessageType = type,
            TransactionId = message.TransactionId,
            Seconds = message.Seconds,
            Broadcast = message.BroadcastFlagSet,
            ClientAddress = message.ClientAddress,
            YourAddress = message.YourAddress,
            ServerAddress = message.ServerAddress,
            RelayAgentAddress = message.RelayAgentAddress,
            ClientHardwareAddress = message.ClientHardwareAddress,
            SubnetMask = mask,
            Router = router,
            DnsServers = dns ?? [],
            DomainName = domain,
            InterfaceMtu = mtu,
            LeaseTimeSeconds = lease,
            RenewalTimeSeconds = t1,
            RebindingTimeSeconds = t2,
            ServerIdentifier = serverId,
            RequestedAddress = requested,
            HostName = hostName,
            MaximumMessageSize = maxSize,
            Message = text,
        };
        return true;
    }

    private static Ipv4Address? FirstNonZero(ReadOnlySpan<byte> list)
    {
        for (int i = 0; i < list.Length; i += 4)
        {
            var a = Ipv4Address.Read(list[i..]);
            if (!a.IsAny)
            {
                return a;
            }
        }
        return null;
    }

    private static List<Ipv4Address> NonZero(ReadOnlySpan<byte> list)
    {
        var result = new List<Ipv4Address>(list.Length / 4);
        for (int i = 0; i < list.Length; i += 4)
        {
            var a = Ipv4Address.Read(list[i..]);
            if (!a.IsAny)
            {
                result.Add(a);
            }
        }
        return result;
    }

    /// <summary>NVT ASCII text (RFC 2132 §3.14, §3.17) without trailing NULs; null when empty or not printable.</summary>
    private static string? Ascii(ReadOnlySpan<byte> data)
    {
        int end = data.Length;
        while (end > 0 && data[end - 1] == 0)
        {
            end--;
        }
        if (end == 0)
        {
            return null;
        }
        foreach (byte c in data[..end])
        {
            if (c is < 0x20 or > 0x7E)
            {
                return null;
            }
        }
        return Encoding.ASCII.GetString(data[..end]);
    }
}
