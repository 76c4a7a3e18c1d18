using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Wire;

/// <summary>The client's messages, byte for byte and field by field against RFC 2131 §4.4.1 table 5.</summary>
public sealed class DhcpClientMessagesTests
{
    private static readonly MacAddress Mac = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly DhcpClientIdentity Identity = new(Mac, "mip", 576);
    private static readonly Ipv4Address Address = Ipv4Address.Parse("192.168.2.57");
    private static readonly Ipv4Address Server = Ipv4Address.Parse("192.168.2.1");

    /// <summary>A DISCOVER as RFC 2131 §2 lays it out, with our options, End and padding to 300 octets.</summary>
    private static readonly string DiscoverHex =
        "01010600" + "12345678" + "0000" + "8000" + "00000000" + "00000000" + "00000000" + "00000000"
        + DhcpFixtures.ChaddrSnameFileCookie
        + "350101"                          // 53 DHCPDISCOVER
        + "3d0701020000000001"              // 61 client id: type 1 + MAC
        + "0c036d6970"                      // 12 host name "mip"
        + "3709010306" + "0f1a33363a3b"     // 55 1 3 6 15 26 51 54 58 59
        + "39020240"                        // 57 max message size 576
        + "ff" + DhcpFixtures.Zeros(27);    // End, pad 273 -> 300

    [Fact]
    public void Discover_emits_exact_bytes()
    {
        var repr = DhcpClientMessages.Discover(Identity, 0x12345678, 0, preferred: null);
        var buffer = new byte[600];
        int length = repr.Emit(buffer);
        Assert.Equal(300, length);
        Assert.Equal(300, repr.BufferLength);
        Assert.Equal(DiscoverHex, Convert.ToHexStringLower(buffer.AsSpan(0, length)));
    }

    [Fact]
    public void Discover_bytes_parse_back_to_the_same_fields()
    {
        Assert.True(DhcpMessage.TryCreate(Convert.FromHexString(DiscoverHex), out var m));
        Assert.True(DhcpRepr.TryParse(m, out var r));
        Assert.Equal(DhcpOpcode.BootRequest, r.Op);
        Assert.Equal(DhcpMessageType.Discover, r.MessageType);
        Assert.Equal(0x12345678u, r.TransactionId);
        Assert.True(r.Broadcast);
        Assert.Equal(Mac, r.ClientHardwareAddress);
        Assert.Equal("mip", r.HostName);
        Assert.Equal((ushort)576, r.MaximumMessageSize);
        Assert.Null(r.RequestedAddress);
        Assert.Null(r.ServerIdentifier);
    }

    [Fact]
    public void Discover_may_hint_a_preferred_address_in_option_50()
    {
        var r = RoundTrip(DhcpClientMessages.Discover(Identity, 1, 7, Address));
        Assert.Equal(Address, r.RequestedAddress);
        Assert.Equal(7, r.Seconds);
        Assert.Null(r.ServerIdentifier);
    }

    [Theory]
    // state, ciaddr set, option 50, option 54, broadcast flag
    [InlineData((byte)DhcpRequestState.Selecting, false, true, true, true)]
    [InlineData((byte)DhcpRequestState.InitReboot, false, true, false, true)]
    [InlineData((byte)DhcpRequestState.Renewing, true, false, false, false)]
    [InlineData((byte)DhcpRequestState.Rebinding, true, false, false, false)]
    public void Request_fields_follow_table_5(byte state, bool ciaddr, bool option50, bool option54, bool broadcast)
    {
        var r = RoundTrip(DhcpClientMessages.Request(Identity, (DhcpRequestState)state, 0xabcdef01, 3, Address, Server));
        Assert.Equal(DhcpMessageType.Request, r.MessageType);
        Assert.Equal(0xabcdef01u, r.TransactionId);
        Assert.Equal(3, r.Seconds);
        Assert.Equal(ciaddr ? Address : Ipv4Address.Any, r.ClientAddress);
        Assert.Equal(option50 ? Address : null, r.RequestedAddress);
        Assert.Equal(option54 ? Server : null, r.ServerIdentifier);
        Assert.Equal(broadcast, r.Broadcast);
        Assert.Equal(Ipv4Address.Any, r.YourAddress);
        Assert.Equal("mip", r.HostName);
        Assert.Equal((ushort)576, r.MaximumMessageSize);
    }

    [Fact]
    public void Decline_carries_address_and_server_but_no_parameters()
    {
        var repr = DhcpClientMessages.Decline(Identity, 9, Address, Server);
        Assert.True(repr.ParameterRequestList.IsEmpty);
        var r = RoundTrip(repr);
        Assert.Equal(DhcpMessageType.Decline, r.MessageType);
        Assert.Equal(Ipv4Address.Any, r.ClientAddress);
        Assert.Equal(0, r.Seconds);
        Assert.Equal(Address, r.RequestedAddress);
        Assert.Equal(Server, r.ServerIdentifier);
        Assert.Null(r.HostName);
        Assert.Null(r.MaximumMessageSize);
        Assert.False(r.Broadcast);
    }

    [Fact]
    public void Release_carries_ciaddr_and_server_but_no_requested_address()
    {
        var r = RoundTrip(DhcpClientMessages.Release(Identity, 9, Address, Server));
        Assert.Equal(DhcpMessageType.Release, r.MessageType);
        Assert.Equal(Address, r.ClientAddress);
        Assert.Equal(0, r.Seconds);
        Assert.Null(r.RequestedAddress);
        Assert.Equal(Server, r.ServerIdentifier);
        Assert.Null(r.HostName);
    }

    [Fact]
    public void Release_emits_client_identifier_and_pads_to_300()
    {
        var repr = DhcpClientMessages.Release(Identity, 9, Address, Server);
        var buffer = new byte[400];
        Assert.Equal(300, repr.Emit(buffer));
        // 53, 61, 54, End right after the cookie.
        Assert.Equal("350107" + "3d0701020000000001" + "3604c0a80201" + "ff",
            Convert.ToHexStringLower(buffer.AsSpan(240, 19)));
    }

    [Fact]
    public void Emit_into_a_short_buffer_is_a_caller_error()
    {
        var repr = DhcpClientMessages.Discover(Identity, 1, 0, null);
        Assert.Throws<ArgumentException>(() => repr.Emit(new byte[299]));
    }

    private static DhcpRepr RoundTrip(DhcpRepr repr)
    {
        var buffer = new byte[repr.BufferLength];
        repr.Emit(buffer);
        Assert.True(DhcpMessage.TryCreate(buffer, out var m));
        Assert.True(DhcpRepr.TryParse(m, out var r));
        return r;
    }
}
