using Mip.Stack.Wire;

namespace Mip.Stack.Tests;

/// <summary>
/// Frames as Linux emits them between host A (192.168.2.1, 02:00:00:00:00:01) and host B (192.168.2.10,
/// 02:00:00:00:00:02). Checksums were computed independently (RFC 1071 over the exact bytes) when the fixtures were
/// written; the ICMP echo request's IPv4 header is the one in ChecksumTests, as captured from the kernel.
/// </summary>
internal static class Fixtures
{
    public static readonly MacAddress MacA = MacAddress.Parse("02:00:00:00:00:01");
    public static readonly MacAddress MacB = MacAddress.Parse("02:00:00:00:00:02");
    public static readonly Ipv4Address IpA = Ipv4Address.Parse("192.168.2.1");
    public static readonly Ipv4Address IpB = Ipv4Address.Parse("192.168.2.10");

    /// <summary>A asks who-has 192.168.2.10 (42 bytes, no padding, like a veth capture).</summary>
    public static byte[] ArpRequest => Hex("ffffffffffff020000000001080600010800060400010200000000 01c0a80201000000000000c0a8020a");

    /// <summary>B answers: 192.168.2.10 is-at 02:00:00:00:00:02.</summary>
    public static byte[] ArpReply => Hex("02000000000102000000000208060001080006040002020000000002c0a8020a020000000001c0a80201");

    /// <summary>`ping -c1 192.168.2.10` from A: id 0x1c2d seq 1, 56 data bytes (16-byte timeval, then 0x10..0x37), DF set.</summary>
    public static byte[] EchoRequest => Hex(
        "020000000002020000000001 0800" +
        "45000054a6f2400040010e5bc0a80201c0a8020a" +
        "0800d6be1c2d0001 000000006567a1b200000000000c3f1a" +
        "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637");

    /// <summary>A UDP datagram from 192.168.2.1:40000 to 192.168.2.10:7 carrying "hello, mip\n" (checksum 0x0649), DF set.</summary>
    public static byte[] UdpDatagram => Hex(
        "020000000002020000000001 0800" +
        "450000273e5f40004011770bc0a80201c0a8020a" +
        "9c40000700130649 68656c6c6f2c206d69700a");

    public static byte[] Hex(string s) => Convert.FromHexString(s.Replace(" ", "", StringComparison.Ordinal));
}
