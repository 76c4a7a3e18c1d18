using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Wire;

public sealed class IcmpTests
{
    private static byte[] Message => Fixtures.EchoRequest.AsSpan(34).ToArray();

    [Fact]
    public void Parses_kernel_echo_request()
    {
        Assert.True(IcmpPacket.TryCreate(Message, out var packet));
        Assert.True(IcmpRepr.TryParse(packet, out var icmp));
        Assert.Equal(IcmpRepr.EchoRequest(0x1c2d, 1, 56), icmp);
        Assert.Equal(0x10, packet.Data[16]);
    }

    [Fact]
    public void Emit_reproduces_the_kernel_message()
    {
        var buffer = new byte[64];
        Message.AsSpan(8).CopyTo(buffer.AsSpan(8));
        IcmpRepr.EchoRequest(0x1c2d, 1, 56).Emit(buffer);
        Assert.Equal(Message, buffer);
    }

    [Fact]
    public void Echo_reply_to_the_fixture_has_the_linux_checksum()
    {
        // The reply differs only in type (8 -> 0), so its checksum is the request's plus 0x0800: 0xdebe.
        var buffer = new byte[64];
        Message.AsSpan(8).CopyTo(buffer.AsSpan(8));
        IcmpRepr.EchoReply(0x1c2d, 1, 56).Emit(buffer);
        Assert.Equal(0xde, buffer[2]);
        Assert.Equal(0xbe, buffer[3]);
    }

    [Fact]
    public void Fragmentation_needed_carries_next_hop_mtu()
    {
        var quote = Fixtures.EchoRequest.AsSpan(14, 28);
        var buffer = new byte[8 + quote.Length];
        quote.CopyTo(buffer.AsSpan(8));
        IcmpRepr.DestinationUnreachable(IcmpUnreachableCode.FragmentationNeeded, quote.Length, 1400).Emit(buffer);
        Assert.Equal([3, 4], buffer[..2]);
        Assert.Equal([0, 0, 0x05, 0x78], buffer[4..8]);
        Assert.True(IcmpPacket.TryCreate(buffer, out var packet));
        Assert.True(IcmpRepr.TryParse(packet, out var parsed));
        Assert.Equal(1400, parsed.NextHopMtu);
        Assert.Equal(quote.ToArray(), packet.Data.ToArray());
    }

    [Fact]
    public void Port_unreachable_has_no_mtu_and_round_trips()
    {
        var buffer = new byte[8 + 28];
        Fixtures.UdpDatagram.AsSpan(14, 28).CopyTo(buffer.AsSpan(8));
        var repr = IcmpRepr.DestinationUnreachable(IcmpUnreachableCode.PortUnreachable, 28, 1400);
        repr.Emit(buffer);
        Assert.Equal(0, repr.NextHopMtu);
        Assert.True(IcmpPacket.TryCreate(buffer, out var packet));
        Assert.True(IcmpRepr.TryParse(packet, out var parsed));
        Assert.Equal(repr, parsed);
    }

    [Fact]
    public void Bad_checksum_unknown_type_and_truncation_are_refused()
    {
        var m = Message;
        m[20] ^= 1;
        Assert.True(IcmpPacket.TryCreate(m, out var packet));
        Assert.False(packet.IsChecksumValid);
        Assert.False(IcmpRepr.TryParse(packet, out _));

        var timestamp = new byte[20];
        IcmpPacket.WriteHeaderAndChecksum(timestamp, (IcmpType)13, 0, 0);
        Assert.True(IcmpPacket.TryCreate(timestamp, out packet));
        Assert.True(packet.IsChecksumValid);
        Assert.False(IcmpRepr.TryParse(packet, out _));

        for (int n = 0; n < IcmpPacket.HeaderLength; n++)
        {
            Assert.False(IcmpPacket.TryCreate(Message.AsSpan(0, n), out _));
        }
    }
}
