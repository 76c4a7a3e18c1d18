using System.Buffers.Binary;
using Mip.Grpc.V1;
using Mip.Stack.Wire;

namespace Mip.Server.Grpc.Capture;

/// <summary>
/// Which frames a capture keeps: by host (IPv4 source/destination, or ARP sender/target), TCP/UDP port, protocol and
/// direction. Reads the headers in place; a frame it cannot parse matches only an unfiltered capture.
/// </summary>
internal sealed record CaptureFilter(Ipv4Address? Host, ushort Port, IpProtocol? Protocol, bool Arp, CaptureDirection Direction)
{
    public static readonly CaptureFilter All = new(null, 0, null, false, CaptureDirection.Unspecified);

    /// <summary>Validates a request; every problem is reported.</summary>
    public static CaptureFilter Parse(CaptureRequest request, out List<FieldViolation> violations)
    {
        violations = [];
        Ipv4Address? host = null;
        if (!string.IsNullOrWhiteSpace(request.Host))
        {
            if (Ipv4Address.TryParse(request.Host.Trim(), out var a))
            {
                host = a;
            }
            else
            {
                violations.Add(new FieldViolation("host", $"'{request.Host}' is not an IPv4 address"));
            }
        }
        if (request.Port > ushort.MaxValue)
        {
            violations.Add(new FieldViolation("port", $"must be 0 (any) or 1-65535, got {request.Port}"));
        }
        IpProtocol? protocol = null;
        bool arp = false;
        switch (request.Protocol.Trim().ToLowerInvariant())
        {
            case "":
                break;
            case "tcp":
                protocol = IpProtocol.Tcp;
                break;
            case "udp":
                protocol = IpProtocol.Udp;
                break;
            case "icmp":
                protocol = IpProtocol.Icmp;
                break;
            case "arp":
                arp = true;
                break;
            default:
                violations.Add(new FieldViolation("protocol", $"must be tcp, udp, icmp, arp or empty, got '{request.Protocol}'"));
                break;
        }
        if (!Enum.IsDefined(request.Direction))
        {
            violations.Add(new FieldViolation("direction", $"unknown direction {(int)request.Direction}"));
        }
        if (arp && request.Port != 0)
        {
            violations.Add(new FieldViolation("port", "ARP has no ports"));
        }
        return new CaptureFilter(host, (ushort)Math.Min(request.Port, ushort.MaxValue), protocol, arp, request.Direction);
    }

    public bool Matches(ReadOnlySpan<byte> frame, bool inbound)
    {
        if ((Direction == CaptureDirection.In && !inbound) || (Direction == CaptureDirection.Out && inbound))
        {
            return false;
        }
        if (Host is null && Port == 0 && Protocol is null && !Arp)
        {
            return true;
        }
        if (frame.Length < 14)
        {
            return false;
        }
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        var payload = frame[14..];
        if (etherType == (ushort)EtherType.Arp)
        {
            // ARP: sender protocol address at 14, target at 24 (RFC 826, Ethernet/IPv4).
            if (Protocol is not null || Port != 0 || payload.Length < 28)
            {
                return false;
            }
            return Host is not { } h || ReadAddress(payload[14..]) == h || ReadAddress(payload[24..]) == h;
        }
        if (etherType != (ushort)EtherType.Ipv4 || Arp || payload.Length < 20)
        {
            return false;
        }
        int ihl = (payload[0] & 0x0F) * 4;
        var protocol = (IpProtocol)payload[9];
        if (Host is { } host && ReadAddress(payload[12..]) != host && ReadAddress(payload[16..]) != host)
        {
            return false;
        }
        if (Protocol is { } p && protocol != p)
        {
            return false;
        }
        if (Port == 0)
        {
            return true;
        }
        // Ports are only in the first fragment (offset 0) of a TCP or UDP datagram.
        bool firstFragment = (BinaryPrimitives.ReadUInt16BigEndian(payload[6..]) & 0x1FFF) == 0;
        if (protocol is not (IpProtocol.Tcp or IpProtocol.Udp) || !firstFragment || ihl < 20 || payload.Length < ihl + 4)
        {
            return false;
        }
        return BinaryPrimitives.ReadUInt16BigEndian(payload[ihl..]) == Port || BinaryPrimitives.ReadUInt16BigEndian(payload[(ihl + 2)..]) == Port;
    }

    private static Ipv4Address ReadAddress(ReadOnlySpan<byte> bytes) => Ipv4Address.Read(bytes);
}
