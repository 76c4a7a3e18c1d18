using System.Buffers.Binary;
using Mip.Stack.Wire;

namespace Mip.EndToEnd.Tests;

/// <summary>Hand-built frames for driving the kernel before the stack's own wire code exists.</summary>
internal static class Frames
{
    public const ushort EtherTypeArp = 0x0806;

    /// <summary>IEEE 802 "local experimental" EtherType 1: nobody on the lab answers or routes it.</summary>
    public const ushort EtherTypeExperimental = 0x88B5;

    /// <summary>A locally administered unicast MAC (0x02 in the first octet), distinct from any kernel MAC.</summary>
    public static readonly MacAddress StackMac = MacAddress.Parse("02:00:00:4d:49:50");

    public static void WriteEthernet(Span<byte> frame, MacAddress destination, MacAddress source, ushort etherType)
    {
        destination.Write(frame);
        source.Write(frame[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], etherType);
    }

    /// <summary>An RFC 826 ARP request (Ethernet/IPv4), broadcast, padded to the 60-byte Ethernet minimum.</summary>
    public static byte[] ArpRequest(MacAddress senderMac, Ipv4Address senderIp, Ipv4Address targetIp)
    {
        var frame = new byte[60];
        WriteEthernet(frame, MacAddress.Broadcast, senderMac, EtherTypeArp);
        var arp = frame.AsSpan(14);
        BinaryPrimitives.WriteUInt16BigEndian(arp, 1);          // htype Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(arp[2..], 0x0800); // ptype IPv4
        arp[4] = 6;
        arp[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(arp[6..], 1);      // op request
        senderMac.Write(arp[8..]);
        senderIp.Write(arp[14..]);
        MacAddress.Zero.Write(arp[18..]);
        targetIp.Write(arp[24..]);
        return frame;
    }

    /// <summary>True when <paramref name="frame"/> is an ARP reply saying <paramref name="senderIp"/> is at <paramref name="senderMac"/>, sent to <paramref name="to"/>.</summary>
    public static bool IsArpReply(ReadOnlySpan<byte> frame, Ipv4Address senderIp, MacAddress senderMac, MacAddress to)
    {
        if (frame.Length < 42 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != EtherTypeArp)
        {
            return false;
        }
        var arp = frame[14..];
        return MacAddress.Read(frame) == to
            && BinaryPrimitives.ReadUInt16BigEndian(arp[6..]) == 2
            && MacAddress.Read(arp[8..]) == senderMac
            && Ipv4Address.Read(arp[14..]) == senderIp
            && MacAddress.Read(arp[18..]) == to;
    }

    /// <summary>An experimental-EtherType frame carrying a 64-bit marker, <paramref name="length"/> bytes long.</summary>
    public static byte[] Marked(MacAddress destination, MacAddress source, ulong marker, int length = 60)
    {
        var frame = new byte[length];
        WriteEthernet(frame, destination, source, EtherTypeExperimental);
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(14), marker);
        return frame;
    }

    public static bool HasMarker(ReadOnlySpan<byte> frame, ulong marker) =>
        frame.Length >= 22
        && BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == EtherTypeExperimental
        && BinaryPrimitives.ReadUInt64BigEndian(frame[14..]) == marker;
}
