namespace Mip.Stack.Tests.Wire;

/// <summary>DNS messages laid out byte by byte per RFC 1035 §4.1, as a dnsmasq forwarder answers them.</summary>
internal static class DnsFixtures
{
    /// <summary>
    /// "example.com A" answered with 93.184.216.34, TTL 3600, ID 0x3c5e, flags 8180 (QR RD RA). The answer's owner
    /// is the pointer c00c to the question name at offset 12.
    /// </summary>
    public const string ExampleComA =
        "3c5e81800001000100000000" +
        "076578616d706c6503636f6d0000010001" +
        "c00c0001000100000e1000045db8d822";

    /// <summary>
    /// "www.lab.test A": www.lab.test CNAME web.lab.test (TTL 300; RDATA "web" + pointer c010 to "lab.test"), then
    /// web.lab.test A 192.168.2.50 (TTL 60; owner is pointer c02a to the CNAME's RDATA at offset 42).
    /// </summary>
    public const string WwwLabTestCname =
        "1f2e81800001000200000000" +
        "03777777036c61620474657374" + "0000010001" +
        "c00c000500010000012c000603776562c010" +
        "c02a00010001" + "0000003c0004c0a80232";

    public static byte[] Bytes(string hex) => Convert.FromHexString(hex);
}
