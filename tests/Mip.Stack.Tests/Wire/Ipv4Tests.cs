using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Wire;

public sealed class Ipv4Tests
{
    private static byte[] Datagram => Fixtures.EchoRequest.AsSpan(14).ToArray();

    [Fact]
    public void Parses_kernel_echo_request_header()
    {
        Assert.True(Ipv4Packet.TryCreate(Datagram, out var packet));
        Assert.True(Ipv4Repr.TryParse(packet, out var ip));
        Assert.Equal(new Ipv4Repr(Fixtures.IpA, Fixtures.IpB, IpProtocol.Icmp, 64, 64, 0xa6f2, DontFragment: true), ip);
        Assert.Equal(20, packet.HeaderLength);
        Assert.False(packet.IsFragment);
    }

    [Fact]
    public void Emit_reproduces_the_kernel_header()
    {
        Assert.True(Ipv4Packet.TryCreate(Datagram, out var packet));
        Assert.True(Ipv4Repr.TryParse(packet, out var ip));
        var emitted = new byte[Ipv4Repr.HeaderLength];
        ip.Emit(emitted);
        Assert.Equal(Datagram.AsSpan(0, 20).ToArray(), emitted);
    }

    [Fact]
    public void Fragment_fields_round_trip_in_eight_byte_units()
    {
        var repr = new Ipv4Repr(Fixtures.IpA, Fixtures.IpB, IpProtocol.Udp, 1480, 64, 0x1234, MoreFragments: true, FragmentOffset: 2960);
        var buffer = new byte[repr.BufferLength];
        repr.Emit(buffer);
        Assert.Equal(0x21, buffer[6]);   // MF (0x20) and the top bits of offset 370 = 0x172
        Assert.Equal(0x172, ((buffer[6] & 0x1F) << 8) | buffer[7]);
        Assert.True(Ipv4Packet.TryCreate(buffer, out var packet));
        Assert.True(Ipv4Repr.TryParse(packet, out var parsed));
        Assert.Equal(repr, parsed);
        Assert.True(packet.IsFragment);
    }

    [Fact]
    public void Trailing_link_padding_is_ignored()
    {
        var padded = new byte[Datagram.Length + 10];
        Datagram.CopyTo(padded, 0);
        Assert.True(Ipv4Packet.TryCreate(padded, out var packet));
        Assert.Equal(84, packet.Bytes.Length);
        Assert.Equal(64, packet.Payload.Length);
    }

    [Fact]
    public void Options_are_skipped()
    {
        // Same datagram with a 4-byte option (NOP NOP NOP EOL): IHL 6, payload starts at 24.
        var d = Datagram;
        var withOptions = new byte[d.Length + 4];
        d.AsSpan(0, 20).CopyTo(withOptions);
        withOptions[0] = 0x46;
        withOptions[20] = 1; withOptions[21] = 1; withOptions[22] = 1; withOptions[23] = 0;
        d.AsSpan(20).CopyTo(withOptions.AsSpan(24));
        withOptions[2] = 0; withOptions[3] = (byte)withOptions.Length;
        withOptions[10] = 0; withOptions[11] = 0;
        ushort sum = Checksum.Compute(withOptions.AsSpan(0, 24));
        withOptions[10] = (byte)(sum >> 8); withOptions[11] = (byte)sum;
        Assert.True(Ipv4Packet.TryCreate(withOptions, out var packet));
        Assert.True(packet.IsChecksumValid);
        Assert.Equal(24, packet.HeaderLength);
        Assert.Equal(d.AsSpan(20).ToArray(), packet.Payload.ToArray());
    }

    [Fact]
    public void Header_checks_report_the_specific_error()
    {
        var d = Datagram;
        d[0] = 0x65;
        Assert.Equal(WireError.BadVersion, Ipv4Packet.Validate(d));
        d = Datagram;
        d[0] = 0x44;
        Assert.Equal(WireError.BadHeaderLength, Ipv4Packet.Validate(d));
        d = Datagram;
        d[2] = 0; d[3] = 16; // total length shorter than the header
        Assert.Equal(WireError.BadHeaderLength, Ipv4Packet.Validate(d));
        d = Datagram;
        d[3] = 0x55; // total length one more than the buffer
        Assert.Equal(WireError.Truncated, Ipv4Packet.Validate(d));
        d = Datagram;
        d[8] = 63; // TTL changed without fixing the checksum
        Assert.True(Ipv4Packet.TryCreate(d, out var packet));
        Assert.False(packet.IsChecksumValid);
        Assert.False(Ipv4Repr.TryParse(packet, out _));
    }

    [Fact]
    public void Every_truncation_is_refused_without_throwing()
    {
        var d = Datagram;
        for (int n = 0; n < d.Length; n++)
        {
            Assert.NotEqual(WireError.None, Ipv4Packet.Validate(d.AsSpan(0, n)));
            Assert.False(Ipv4Packet.TryCreate(d.AsSpan(0, n), out _));
        }
    }

    [Fact]
    public void Quoted_header_needs_only_version_and_ihl()
    {
        var quote = Datagram.AsSpan(0, 28).ToArray();
        Assert.False(Ipv4Packet.TryCreate(quote, out _));
        Assert.True(Ipv4Packet.TryCreateQuoted(quote, out var packet));
        Assert.Equal(84, packet.TotalLength);
        Assert.Equal(8, packet.Payload.Length);
        Assert.False(Ipv4Packet.TryCreateQuoted(quote.AsSpan(0, 19), out _));
    }
}
