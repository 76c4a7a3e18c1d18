using System.Buffers.Binary;

namespace Mip.Stack.Tests.Wire;

/// <summary>
/// DHCP messages laid out by hand from RFC 2131 §2 (figure 1) the way dnsmasq 2.9x sends them to a client with MAC
/// 02:00:00:00:00:01 on the lab's 192.168.2.0/24: siaddr = the server, the BROADCAST flag echoed, options in
/// dnsmasq's order (53, 54, 51, 58, 59, 1, 28, 3, 6, 15), End, zero padding to 300 octets.
/// </summary>
internal static class DhcpFixtures
{
    public const uint Xid = 0x3903_f326;

    /// <summary>op 2, htype 1, hlen 6, hops 0, xid, secs 0, flags 8000, ciaddr 0, yiaddr .57, siaddr .1, giaddr 0.</summary>
    public const string ReplyHeader =
        "02010600" + "3903f326" + "0000" + "8000" + "00000000" + "c0a80239" + "c0a80201" + "00000000";

    /// <summary>chaddr (6 + 10 zero octets), then sname (64) and file (128) all zero, then the magic cookie.</summary>
    public static readonly string ChaddrSnameFileCookie = "020000000001" + Zeros(10) + Zeros(64) + Zeros(128) + "63825363";

    public const string DnsmasqOptionsTail =
        "3304" + "00000e10" +     // 51 lease 3600 s
        "3a04" + "00000708" +     // 58 T1 1800 s
        "3b04" + "00000c4e" +     // 59 T2 3150 s
        "0104" + "ffffff00" +     // 1 mask 255.255.255.0
        "1c04" + "c0a802ff" +     // 28 broadcast 192.168.2.255
        "0304" + "c0a80201" +     // 3 router 192.168.2.1
        "0604" + "c0a80201" +     // 6 DNS 192.168.2.1
        "0f03" + "6c6162" +       // 15 domain "lab"
        "ff";

    /// <summary>DHCPOFFER of 192.168.2.57 from 192.168.2.1, 300 octets.</summary>
    public static readonly string DnsmasqOffer = Pad(ReplyHeader + ChaddrSnameFileCookie + "350102" + "3604c0a80201" + DnsmasqOptionsTail);

    /// <summary>DHCPACK for the same lease.</summary>
    public static readonly string DnsmasqAck = Pad(ReplyHeader + ChaddrSnameFileCookie + "350105" + "3604c0a80201" + DnsmasqOptionsTail);

    /// <summary>DHCPNAK as dnsmasq sends it: yiaddr 0, 53, 54, 56 "wrong address", End.</summary>
    public static readonly string DnsmasqNak = Pad(
        "02010600" + "3903f326" + "0000" + "8000" + "00000000" + "00000000" + "00000000" + "00000000"
        + ChaddrSnameFileCookie + "350106" + "3604c0a80201" + "380d" + "77726f6e672061646472657373" + "ff");

    /// <summary>A reply with the given options hex after the cookie (no End or padding added).</summary>
    public static byte[] Reply(string optionsHex) => Convert.FromHexString(ReplyHeader + ChaddrSnameFileCookie + optionsHex);

    public static byte[] Bytes(string hex) => Convert.FromHexString(hex);

    /// <summary>A copy of <paramref name="hex"/> with its xid replaced, to answer a client's random xid.</summary>
    public static byte[] WithXid(string hex, uint xid)
    {
        var b = Convert.FromHexString(hex);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), xid);
        return b;
    }

    public static string Zeros(int octets) => new('0', 2 * octets);

    private static string Pad(string hex) => hex.Length >= 600 ? hex : hex + Zeros(300 - (hex.Length / 2));
}
