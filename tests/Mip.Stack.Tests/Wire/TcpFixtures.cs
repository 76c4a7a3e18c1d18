using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Wire;

/// <summary>
/// TCP segments (header + payload, no IP) captured from Linux 6.x on a veth pair with tx checksum offload off,
/// tcp_rmem max 6 MiB (window scale 7). The kernel side is 10.9.0.1; the peer 10.9.0.2 was a raw-socket script.
/// </summary>
internal static class TcpFixtures
{
    public static readonly Ipv4Address Kernel = new(10, 9, 0, 1);
    public static readonly Ipv4Address Peer = new(10, 9, 0, 2);

    /// <summary>connect() from 10.9.0.1:59092 to 10.9.0.2:80: MSS 1460, SACK-permitted, TS, NOP, WS 7.</summary>
    public static readonly byte[] Syn = Convert.FromHexString(
        "e6d400500308e9ff00000000a002faf07b140000020405b40402080a4498a5210000000001030307");

    /// <summary>Listener 10.9.0.1:5001 answering a SYN (ISN 0x1000, TSval 1000) from port 40000.</summary>
    public static readonly byte[] SynAck = Convert.FromHexString(
        "13899c40ee2a35a700001001a012fe88717d0000020405b40402080a11c4ca8c000003e801030307");

    /// <summary>Pure ACK of 100 bytes of data, NOP NOP TS.</summary>
    public static readonly byte[] AckWithTimestamps = Convert.FromHexString(
        "13899c40ee2a35a800001065801001fd9c6f00000101080a11c4ca8c000003ea");

    /// <summary>Duplicate ACK after three out-of-order segments: NOP NOP TS, NOP NOP SACK with 3 blocks, newest first.</summary>
    public static readonly byte[] AckWithThreeSackBlocks = Convert.FromHexString(
        "13899c40ee2a35a800001065f01001fd7b3100000101080a11c4ca8c000003ea" +
        "0101051a000023ed0000251900001c1d00001ce50000144d000014b1");
}
