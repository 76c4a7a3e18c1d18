using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Wire;

public sealed class DhcpMessageTests
{
    private static readonly Ipv4Address Server = Ipv4Address.Parse("192.168.2.1");

    [Fact]
    public void Dnsmasq_offer_header_fields_read_at_rfc2131_offsets()
    {
        var bytes = DhcpFixtures.Bytes(DhcpFixtures.DnsmasqOffer);
        Assert.Equal(300, bytes.Length);
        Assert.True(DhcpMessage.TryCreate(bytes, out var m));
        Assert.Equal(DhcpOpcode.BootReply, m.Op);
        Assert.Equal(1, m.HardwareType);
        Assert.Equal(6, m.HardwareLength);
        Assert.Equal(0, m.Hops);
        Assert.Equal(DhcpFixtures.Xid, m.TransactionId);
        Assert.Equal(0, m.Seconds);
        Assert.True(m.BroadcastFlagSet);
        Assert.Equal(Ipv4Address.Any, m.ClientAddress);
        Assert.Equal(Ipv4Address.Parse("192.168.2.57"), m.YourAddress);
        Assert.Equal(Server, m.ServerAddress);
        Assert.Equal(Ipv4Address.Any, m.RelayAgentAddress);
        Assert.Equal(MacAddress.Parse("02:00:00:00:00:01"), m.ClientHardwareAddress);
        Assert.Equal(60, m.OptionsField.Length);
    }

    [Fact]
    public void Option_reader_yields_every_option_in_order_and_stops_at_end()
    {
        Assert.True(DhcpMessage.TryCreate(DhcpFixtures.Bytes(DhcpFixtures.DnsmasqOffer), out var m));
        var reader = m.GetOptions();
        var codes = new List<byte>();
        var lengths = new List<int>();
        while (reader.TryReadNext(out var code, out var data))
        {
            codes.Add((byte)code);
            lengths.Add(data.Length);
        }
        Assert.False(reader.IsMalformed);
        Assert.Equal([53, 54, 51, 58, 59, 1, 28, 3, 6, 15], codes);
        Assert.Equal([1, 4, 4, 4, 4, 4, 4, 4, 4, 3], lengths);
    }

    [Fact]
    public void Dnsmasq_offer_parses_to_lease_parameters()
    {
        Assert.True(DhcpMessage.TryCreate(DhcpFixtures.Bytes(DhcpFixtures.DnsmasqOffer), out var m));
        Assert.True(DhcpRepr.TryParse(m, out var r));
        Assert.Equal(DhcpMessageType.Offer, r.MessageType);
        Assert.Equal(DhcpFixtures.Xid, r.TransactionId);
        Assert.Equal(Ipv4Address.Parse("192.168.2.57"), r.YourAddress);
        Assert.Equal(Server, r.ServerIdentifier);
        Assert.Equal(3600u, r.LeaseTimeSeconds);
        Assert.Equal(1800u, r.RenewalTimeSeconds);
        Assert.Equal(3150u, r.RebindingTimeSeconds);
        Assert.Equal(Ipv4Address.Parse("255.255.255.0"), r.SubnetMask);
        Assert.Equal(Server, r.Router);
        Assert.Equal([Server], r.DnsServers);
        Assert.Equal("lab", r.DomainName);
        Assert.Null(r.InterfaceMtu);
    }

    [Fact]
    public void Dnsmasq_ack_and_nak_parse_their_types()
    {
        Assert.True(DhcpMessage.TryCreate(DhcpFixtures.Bytes(DhcpFixtures.DnsmasqAck), out var ack));
        Assert.True(DhcpRepr.TryParse(ack, out var a));
        Assert.Equal(DhcpMessageType.Ack, a.MessageType);
        Assert.Equal(3600u, a.LeaseTimeSeconds);

        Assert.True(DhcpMessage.TryCreate(DhcpFixtures.Bytes(DhcpFixtures.DnsmasqNak), out var nak));
        Assert.True(DhcpRepr.TryParse(nak, out var n));
        Assert.Equal(DhcpMessageType.Nak, n.MessageType);
        Assert.Equal(Ipv4Address.Any, n.YourAddress);
        Assert.Equal("wrong address", n.Message);
    }

    [Theory]
    [InlineData(239, 1, 6, "63825363")]   // one octet short of header + cookie
    [InlineData(300, 1, 6, "63825364")]   // wrong magic cookie
    [InlineData(300, 1, 6, "00000000")]   // plain BOOTP vendor area, no cookie
    [InlineData(300, 6, 6, "63825363")]   // htype 6 (IEEE 802 networks)
    [InlineData(300, 1, 16, "63825363")]  // hlen 16
    public void TryCreate_rejects_short_foreign_cookie_or_non_ethernet(int length, byte htype, byte hlen, string cookie)
    {
        var bytes = DhcpFixtures.Bytes(DhcpFixtures.DnsmasqOffer);
        bytes[1] = htype;
        bytes[2] = hlen;
        Convert.FromHexString(cookie).CopyTo(bytes, 236);
        Assert.False(DhcpMessage.TryCreate(bytes.AsSpan(0, length), out _));
    }

    [Fact]
    public void Header_and_cookie_alone_is_a_valid_message_without_options()
    {
        var bytes = DhcpFixtures.Reply("");
        Assert.Equal(240, bytes.Length);
        Assert.True(DhcpMessage.TryCreate(bytes, out var m));
        Assert.True(DhcpRepr.TryParse(m, out var r));
        Assert.Equal(DhcpMessageType.None, r.MessageType);
    }

    [Fact]
    public void Dns_list_padded_with_zero_addresses_keeps_only_real_servers()
    {
        // Some servers fill a fixed-size list with 0.0.0.0; using one would send queries to "this host".
        var r = Parse("350105" + "0610" + "00000000" + "c0a80201" + "00000000" + "08080808" + "ff");
        Assert.Equal([Server, Ipv4Address.Parse("8.8.8.8")], r.DnsServers);
    }

    [Fact]
    public void Router_list_takes_the_first_non_zero_router()
    {
        var r = Parse("350105" + "0308" + "00000000" + "c0a802fe" + "ff");
        Assert.Equal(Ipv4Address.Parse("192.168.2.254"), r.Router);
    }

    [Fact]
    public void Ack_without_router_or_mask_parses_with_both_absent()
    {
        var r = Parse("350105" + "3604c0a80201" + "330400000e10" + "ff");
        Assert.Null(r.Router);
        Assert.Null(r.SubnetMask);
        Assert.Empty(r.DnsServers);
        Assert.Equal(3600u, r.LeaseTimeSeconds);
    }

    [Theory]
    [InlineData("350105" + "33040000")]          // lease time claims 4 octets, 2 left
    [InlineData("350105" + "33")]                // tag with no length octet
    [InlineData("350105" + "06ff" + "c0a80201")] // length 255 past the end
    public void Truncated_option_fails_parse_and_marks_reader_malformed(string options)
    {
        Assert.True(DhcpMessage.TryCreate(DhcpFixtures.Reply(options), out var m));
        Assert.False(DhcpRepr.TryParse(m, out _));
        var reader = m.GetOptions();
        while (reader.TryReadNext(out _, out _))
        {
        }
        Assert.True(reader.IsMalformed);
    }

    [Fact]
    public void Missing_end_option_is_tolerated_at_end_of_payload()
    {
        var r = Parse("350102" + "3604c0a80201" + "0104ffffff00");
        Assert.Equal(DhcpMessageType.Offer, r.MessageType);
        Assert.Equal(Ipv4Address.Parse("255.255.255.0"), r.SubnetMask);
    }

    [Fact]
    public void Options_after_end_are_not_read()
    {
        var r = Parse("350105" + "ff" + "0104ffffff00");
        Assert.Null(r.SubnetMask);
    }

    [Fact]
    public void Pads_between_options_are_skipped()
    {
        var r = Parse("00" + "350105" + "000000" + "0104ffff0000" + "ff");
        Assert.Equal(DhcpMessageType.Ack, r.MessageType);
        Assert.Equal(Ipv4Address.Parse("255.255.0.0"), r.SubnetMask);
    }

    [Fact]
    public void Known_option_with_impossible_length_is_ignored_not_fatal()
    {
        var r = Parse("350105" + "0103ffffff" + "0306c0a80201aaaa" + "1a0100" + "ff");
        Assert.Equal(DhcpMessageType.Ack, r.MessageType);
        Assert.Null(r.SubnetMask);
        Assert.Null(r.Router);
        Assert.Null(r.InterfaceMtu);
    }

    [Fact]
    public void Domain_trailing_nul_is_trimmed_and_control_characters_reject_it()
    {
        Assert.Equal("lab.example", Parse("350105" + "0f0c" + "6c61622e6578616d706c6500" + "ff").DomainName);
        Assert.Null(Parse("350105" + "0f04" + "6c61620a" + "ff").DomainName);
    }

    [Fact]
    public void Mtu_below_68_is_ignored_and_valid_mtu_is_read()
    {
        Assert.Null(Parse("350105" + "1a020040" + "ff").InterfaceMtu);
        Assert.Equal((ushort)1400, Parse("350105" + "1a020578" + "ff").InterfaceMtu);
    }

    [Fact]
    public void Overload_option_continues_into_file_then_sname()
    {
        // RFC 2131 §4.1: option 52 = 3 means 'file' then 'sname' carry options too.
        var bytes = DhcpFixtures.Reply("350105" + "340103" + "ff");
        Convert.FromHexString("0304c0a802feff").CopyTo(bytes, DhcpMessage.BootFileOffset);
        Convert.FromHexString("0104ffffff00ff").CopyTo(bytes, DhcpMessage.ServerNameOffset);
        Assert.True(DhcpMessage.TryCreate(bytes, out var m));
        var reader = m.GetOptions();
        var codes = new List<byte>();
        while (reader.TryReadNext(out var code, out _))
        {
            codes.Add((byte)code);
        }
        Assert.Equal([53, 52, 3, 1], codes);
        Assert.True(DhcpRepr.TryParse(m, out var r));
        Assert.Equal(Ipv4Address.Parse("192.168.2.254"), r.Router);
        Assert.Equal(Ipv4Address.Parse("255.255.255.0"), r.SubnetMask);
    }

    [Fact]
    public void Without_overload_file_and_sname_are_not_options()
    {
        var bytes = DhcpFixtures.Reply("350105ff");
        Convert.FromHexString("0304c0a802feff").CopyTo(bytes, DhcpMessage.BootFileOffset);
        Assert.True(DhcpMessage.TryCreate(bytes, out var m));
        Assert.True(DhcpRepr.TryParse(m, out var r));
        Assert.Null(r.Router);
    }

    [Fact]
    public void Random_corruption_never_throws()
    {
        var rng = new Random(2131);
        var original = DhcpFixtures.Bytes(DhcpFixtures.DnsmasqAck);
        int parsed = 0;
        for (int i = 0; i < 20_000; i++)
        {
            var b = (byte[])original.Clone();
            int flips = rng.Next(1, 8);
            for (int f = 0; f < flips; f++)
            {
                // Corrupt the option area (the header is fixed-size and cannot break the parser).
                b[rng.Next(DhcpMessage.OptionsOffset, b.Length)] = (byte)rng.Next(256);
            }
            int length = rng.Next(DhcpMessage.MinLength, b.Length + 1);
            if (DhcpMessage.TryCreate(b.AsSpan(0, length), out var m) && DhcpRepr.TryParse(m, out _))
            {
                parsed++;
            }
        }
        // Some corruptions still parse (a flipped value), some do not (a broken length): both paths ran.
        Assert.InRange(parsed, 1, 19_999);
    }

    private static DhcpRepr Parse(string options)
    {
        Assert.True(DhcpMessage.TryCreate(DhcpFixtures.Reply(options), out var m));
        Assert.True(DhcpRepr.TryParse(m, out var r));
        return r;
    }
}
