using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Wire;

public sealed class EthernetTests
{
    [Fact]
    public void Parses_header_of_arp_request()
    {
        var bytes = Fixtures.ArpRequest;
        Assert.True(EthernetFrame.TryCreate(bytes, out var frame));
        Assert.True(EthernetRepr.TryParse(frame, out var repr));
        Assert.Equal(new EthernetRepr(MacAddress.Broadcast, Fixtures.MacA, EtherType.Arp), repr);
        Assert.Equal(28, frame.Payload.Length);
    }

    [Fact]
    public void Emit_reproduces_the_header_bytes()
    {
        var bytes = Fixtures.EchoRequest;
        var buffer = new byte[EthernetRepr.BufferLength];
        new EthernetRepr(Fixtures.MacB, Fixtures.MacA, EtherType.Ipv4).Emit(buffer);
        Assert.Equal(bytes.AsSpan(0, 14).ToArray(), buffer);
    }

    [Fact]
    public void Refuses_less_than_a_header()
    {
        for (int n = 0; n < EthernetFrame.HeaderLength; n++)
        {
            Assert.False(EthernetFrame.TryCreate(Fixtures.ArpRequest.AsSpan(0, n), out _));
        }
    }
}
