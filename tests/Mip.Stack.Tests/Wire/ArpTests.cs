using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Wire;

public sealed class ArpTests
{
    [Fact]
    public void Parses_request_fields()
    {
        Assert.True(ArpPacket.TryCreate(Fixtures.ArpRequest.AsSpan(14), out var packet));
        Assert.True(ArpRepr.TryParse(packet, out var arp));
        Assert.Equal(new ArpRepr(ArpOperation.Request, Fixtures.MacA, Fixtures.IpA, MacAddress.Zero, Fixtures.IpB), arp);
    }

    [Theory]
    [InlineData(nameof(Fixtures.ArpRequest))]
    [InlineData(nameof(Fixtures.ArpReply))]
    public void Emit_round_trips_to_identical_bytes(string fixture)
    {
        var bytes = fixture == nameof(Fixtures.ArpRequest) ? Fixtures.ArpRequest : Fixtures.ArpReply;
        Assert.True(ArpPacket.TryCreate(bytes.AsSpan(14), out var packet));
        Assert.True(ArpRepr.TryParse(packet, out var arp));
        var emitted = new byte[ArpRepr.BufferLength];
        arp.Emit(emitted);
        Assert.Equal(bytes.AsSpan(14).ToArray(), emitted);
    }

    [Fact]
    public void Ignores_ethernet_padding_after_the_packet()
    {
        var padded = new byte[46];
        Fixtures.ArpReply.AsSpan(14).CopyTo(padded);
        Assert.True(ArpPacket.TryCreate(padded, out var packet));
        Assert.Equal(Fixtures.IpB, packet.SenderIp);
    }

    [Fact]
    public void Refuses_non_ethernet_ipv4_and_unknown_opcodes()
    {
        var bytes = Fixtures.ArpRequest.AsSpan(14).ToArray();
        bytes[1] = 6; // IEEE 802 hardware type
        Assert.Equal(WireError.Unsupported, ArpPacket.Validate(bytes));
        bytes = Fixtures.ArpRequest.AsSpan(14).ToArray();
        bytes[5] = 16; // IPv6-sized protocol address
        Assert.Equal(WireError.Unsupported, ArpPacket.Validate(bytes));
        bytes = Fixtures.ArpRequest.AsSpan(14).ToArray();
        bytes[7] = 3; // RARP request
        Assert.True(ArpPacket.TryCreate(bytes, out var packet));
        Assert.False(ArpRepr.TryParse(packet, out _));
    }

    [Fact]
    public void Every_truncation_is_refused()
    {
        var bytes = Fixtures.ArpRequest.AsSpan(14);
        for (int n = 0; n < ArpPacket.Length; n++)
        {
            Assert.Equal(WireError.Truncated, ArpPacket.Validate(bytes[..n]));
        }
    }
}
