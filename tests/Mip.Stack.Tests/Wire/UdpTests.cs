using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Wire;

public sealed class UdpTests
{
    private static byte[] Datagram => Fixtures.UdpDatagram.AsSpan(34).ToArray();

    [Fact]
    public void Parses_datagram_and_verifies_checksum_with_pseudo_header()
    {
        Assert.True(UdpPacket.TryCreate(Datagram, out var udp));
        Assert.True(UdpRepr.TryParse(udp, Fixtures.IpA, Fixtures.IpB, out var repr));
        Assert.Equal(new UdpRepr(40000, 7, 11), repr);
        Assert.Equal("hello, mip\n", System.Text.Encoding.ASCII.GetString(udp.Payload));
        // The pseudo-header binds the addresses: the same bytes between other hosts do not verify.
        Assert.False(udp.IsChecksumValid(Fixtures.IpA, Ipv4Address.Parse("192.168.2.11")));
    }

    [Fact]
    public void Emit_reproduces_the_datagram()
    {
        var buffer = new byte[Datagram.Length];
        Datagram.AsSpan(8).CopyTo(buffer.AsSpan(8));
        new UdpRepr(40000, 7, 11).Emit(buffer, Fixtures.IpA, Fixtures.IpB);
        Assert.Equal(Datagram, buffer);
    }

    [Fact]
    public void Zero_checksum_means_not_computed_and_is_accepted()
    {
        var d = Datagram;
        d[6] = 0; d[7] = 0;
        Assert.True(UdpPacket.TryCreate(d, out var udp));
        Assert.True(UdpRepr.TryParse(udp, Fixtures.IpA, Fixtures.IpB, out _));
    }

    [Fact]
    public void Computed_zero_checksum_is_sent_as_all_ones()
    {
        // Choose the last two payload bytes so that the whole sum is 0xFFFF: the computed checksum is then 0.
        var buffer = new byte[12];
        var src = Fixtures.IpA;
        var dst = Fixtures.IpB;
        new UdpRepr(1000, 2000, 4).Emit(buffer, src, dst);
        ushort withZeroTail = (ushort)((buffer[6] << 8) | buffer[7]);
        // Putting the checksum value into the payload makes the complemented sum 0.
        buffer[10] = (byte)(withZeroTail >> 8);
        buffer[11] = (byte)withZeroTail;
        new UdpRepr(1000, 2000, 4).Emit(buffer, src, dst);
        Assert.Equal(0xFF, buffer[6]);
        Assert.Equal(0xFF, buffer[7]);
        Assert.True(UdpPacket.TryCreate(buffer, out var udp));
        Assert.True(udp.IsChecksumValid(src, dst));
    }

    [Fact]
    public void Length_field_is_checked()
    {
        var d = Datagram;
        d[5] = 7;
        Assert.Equal(WireError.BadLength, UdpPacket.Validate(d));
        d = Datagram;
        d[5] = 20;
        Assert.Equal(WireError.Truncated, UdpPacket.Validate(d));
        d = Datagram;
        var padded = new byte[d.Length + 3];
        d.CopyTo(padded, 0);
        Assert.True(UdpPacket.TryCreate(padded, out var udp));
        Assert.Equal(11, udp.Payload.Length);
        for (int n = 0; n < d.Length; n++)
        {
            Assert.False(UdpPacket.TryCreate(d.AsSpan(0, n), out _));
        }
    }

    [Fact]
    public void Corrupted_payload_fails_the_checksum()
    {
        var d = Datagram;
        d[10] ^= 0x20;
        Assert.True(UdpPacket.TryCreate(d, out var udp));
        Assert.False(UdpRepr.TryParse(udp, Fixtures.IpA, Fixtures.IpB, out _));
    }
}
