using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Wire;

public sealed class TcpReprTests
{
    private static readonly TcpRepr LinuxSyn = new()
    {
        SourcePort = 59092,
        DestinationPort = 80,
        SequenceNumber = new TcpSeq(0x0308e9ff),
        Flags = TcpFlags.Syn,
        Window = 64240,
        MaxSegmentSize = 1460,
        SackPermitted = true,
        Timestamp = new TcpTimestamp(0x4498a521, 0),
        WindowScale = 7,
    };

    private static readonly TcpRepr LinuxSynAck = new()
    {
        SourcePort = 5001,
        DestinationPort = 40000,
        SequenceNumber = new TcpSeq(0xee2a35a7),
        AcknowledgmentNumber = new TcpSeq(0x1001),
        Flags = TcpFlags.Syn | TcpFlags.Ack,
        Window = 65160,
        MaxSegmentSize = 1460,
        SackPermitted = true,
        Timestamp = new TcpTimestamp(0x11c4ca8c, 1000),
        WindowScale = 7,
    };

    private static readonly TcpRepr LinuxAck = new()
    {
        SourcePort = 5001,
        DestinationPort = 40000,
        SequenceNumber = new TcpSeq(0xee2a35a8),
        AcknowledgmentNumber = new TcpSeq(0x1065),
        Flags = TcpFlags.Ack,
        Window = 509,
        Timestamp = new TcpTimestamp(0x11c4ca8c, 1002),
    };

    private static readonly TcpRepr LinuxSackAck = LinuxAck with
    {
        SackBlocks = TcpSackBlocks.From(
        [
            new(new TcpSeq(0x23ed), new TcpSeq(0x2519)),
            new(new TcpSeq(0x1c1d), new TcpSeq(0x1ce5)),
            new(new TcpSeq(0x144d), new TcpSeq(0x14b1)),
        ]),
    };

    public static TheoryData<string> Fixtures =>
        [nameof(TcpFixtures.Syn), nameof(TcpFixtures.SynAck), nameof(TcpFixtures.AckWithTimestamps),
         nameof(TcpFixtures.AckWithThreeSackBlocks)];

    private static TcpRepr Expected(string name) => name switch
    {
        nameof(TcpFixtures.Syn) => LinuxSyn,
        nameof(TcpFixtures.SynAck) => LinuxSynAck,
        nameof(TcpFixtures.AckWithTimestamps) => LinuxAck,
        _ => LinuxSackAck,
    };

    private static (Ipv4Address Src, Ipv4Address Dst) Addresses() => (TcpFixtures.Kernel, TcpFixtures.Peer);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Parses_linux_fixture_to_expected_repr(string fixture)
    {
        Assert.True(TcpPacket.TryCreate(TcpPacketTests.Fixture(fixture), out var p));
        Assert.True(TcpRepr.TryParse(p, out var repr));
        Assert.Equal(Expected(fixture), repr);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Emits_byte_exact_linux_layout_and_checksum(string fixture)
    {
        var expected = TcpPacketTests.Fixture(fixture);
        var repr = Expected(fixture);
        Assert.Equal(expected.Length, repr.HeaderLength);
        var buffer = new byte[repr.HeaderLength];
        var (src, dst) = Addresses();
        Assert.Equal(expected.Length, repr.Emit(buffer, src, dst, []));
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(buffer));
    }

    [Fact]
    public void Sack_block_order_is_kept_newest_first()
    {
        Assert.True(TcpPacket.TryCreate(TcpFixtures.AckWithThreeSackBlocks, out var p));
        Assert.True(TcpRepr.TryParse(p, out var repr));
        Assert.Equal(3, repr.SackBlocks.Count);
        Assert.Equal(new TcpSeq(0x23ed), repr.SackBlocks[0].Left);
        Assert.Equal(300u, repr.SackBlocks[0].Length);
        Assert.Equal(new TcpSeq(0x14b1), repr.SackBlocks[2].Right);
    }

    [Fact]
    public void Emit_with_payload_checksums_header_and_payload()
    {
        var payload = "hello, tcp!"u8.ToArray(); // odd length
        var repr = LinuxAck with { Flags = TcpFlags.Ack | TcpFlags.Psh };
        var segment = new byte[repr.HeaderLength + payload.Length];
        int hl = repr.Emit(segment, TcpFixtures.Kernel, TcpFixtures.Peer, payload);
        payload.CopyTo(segment, hl);
        Assert.True(TcpPacket.TryCreate(segment, out var p));
        Assert.True(p.VerifyChecksum(TcpFixtures.Kernel, TcpFixtures.Peer));
        Assert.True(p.Payload.SequenceEqual(payload));
    }

    [Fact]
    public void Two_piece_payload_checksum_equals_one_piece_at_every_split()
    {
        var payload = new byte[301];
        new Random(1071).NextBytes(payload);
        var repr = LinuxAck;
        var whole = new byte[repr.HeaderLength];
        repr.Emit(whole, TcpFixtures.Kernel, TcpFixtures.Peer, payload);
        for (int split = 0; split <= payload.Length; split++)
        {
            var pieces = new byte[repr.HeaderLength];
            repr.Emit(pieces, TcpFixtures.Kernel, TcpFixtures.Peer, payload.AsSpan(0, split), payload.AsSpan(split));
            Assert.Equal(whole, pieces);
        }
    }

    [Fact]
    public void Syn_without_timestamps_uses_nop_nop_sack_permitted()
    {
        var repr = LinuxSyn with { Timestamp = null };
        var buffer = new byte[repr.HeaderLength];
        repr.Emit(buffer, TcpFixtures.Kernel, TcpFixtures.Peer, []);
        Assert.Equal("020405B40101040201030307", Convert.ToHexString(buffer.AsSpan(20)));
        RoundTrips(repr);
    }

    [Fact]
    public void Minimal_header_has_no_options()
    {
        var repr = new TcpRepr { SourcePort = 1, DestinationPort = 2, Flags = TcpFlags.Rst };
        Assert.Equal(20, repr.HeaderLength);
        RoundTrips(repr);
    }

    [Fact]
    public void Four_sack_blocks_fit_without_timestamps_but_only_three_with()
    {
        var blocks = TcpSackBlocks.From(
        [
            new(new TcpSeq(10), new TcpSeq(20)), new(new TcpSeq(30), new TcpSeq(40)),
            new(new TcpSeq(50), new TcpSeq(60)), new(new TcpSeq(70), new TcpSeq(80)),
        ]);
        var without = new TcpRepr { SourcePort = 1, DestinationPort = 2, Flags = TcpFlags.Ack, SackBlocks = blocks };
        Assert.Equal(4, without.EmittedSackBlockCount);
        Assert.Equal(20 + 4 + 32, without.HeaderLength);
        RoundTrips(without);

        var with = without with { Timestamp = new TcpTimestamp(1, 2) };
        Assert.Equal(3, with.EmittedSackBlockCount);
        Assert.Equal(60, with.HeaderLength);
        var parsed = RoundTrip(with);
        Assert.Equal(blocks.Take(3), parsed.SackBlocks);
    }

    [Fact]
    public void Window_scale_above_14_is_clamped()
    {
        var parsed = ParseOptions("01030315"); // NOP, WS 21
        Assert.Equal((byte)14, parsed.WindowScale);
    }

    [Fact]
    public void Unknown_options_are_skipped_by_length()
    {
        // Kind 30 (MPTCP) length 6, then MSS 536, then kind 253 (experimental) length 2.
        var parsed = ParseOptions("1e06aabbccdd02040218fd02");
        Assert.Equal((ushort)536, parsed.MaxSegmentSize);
    }

    [Fact]
    public void Known_option_with_wrong_length_is_ignored_and_the_walk_goes_on()
    {
        // MSS with length 5 (ignored), SACK with length 9 (ignored), then WS 2 that must still be seen.
        var parsed = ParseOptions("020505b400" + "050900000001000000" + "030302" + "00");
        Assert.Null(parsed.MaxSegmentSize);
        Assert.True(parsed.SackBlocks.IsEmpty);
        Assert.Equal((byte)2, parsed.WindowScale);
    }

    [Fact]
    public void End_of_list_stops_parsing()
    {
        var parsed = ParseOptions("0000020405b4"); // EOL, then bytes that look like MSS but are padding
        Assert.Null(parsed.MaxSegmentSize);
    }

    [Theory]
    [InlineData("0200")]            // length 0: would loop forever
    [InlineData("0201")]            // length 1: shorter than kind + length
    [InlineData("01010204")]        // MSS claiming 4 bytes with 2 left in the area
    [InlineData("01010108")]        // kind without a length byte at the end
    [InlineData("080a00000001")]    // timestamps running past the header
    public void Malformed_option_area_rejects_the_segment(string optionsHex)
    {
        Assert.False(TryParseOptions(optionsHex, out _));
    }

    [Fact]
    public void Structurally_valid_but_meaningless_length_is_accepted_and_ignored()
    {
        // NOP NOP then an MSS of length 2: delimited correctly, carries no value.
        Assert.Null(ParseOptions("01010202").MaxSegmentSize);
    }

    [Fact]
    public void Zero_ports_are_rejected()
    {
        var bytes = (byte[])TcpFixtures.AckWithTimestamps.Clone();
        bytes[0] = bytes[1] = 0;
        Assert.True(TcpPacket.TryCreate(bytes, out var p));
        Assert.False(TcpRepr.TryParse(p, out _));
        bytes = (byte[])TcpFixtures.AckWithTimestamps.Clone();
        bytes[2] = bytes[3] = 0;
        Assert.True(TcpPacket.TryCreate(bytes, out p));
        Assert.False(TcpRepr.TryParse(p, out _));
    }

    [Fact]
    public void Repeated_option_last_one_wins()
    {
        Assert.Equal((ushort)1000, ParseOptions("020405b4020403e8").MaxSegmentSize);
    }

    [Fact]
    public void Random_bytes_never_throw_and_valid_parses_reemit_consistently()
    {
        var rng = new Random(20240601);
        var buffer = new byte[80];
        int parsedCount = 0;
        for (int i = 0; i < 50_000; i++)
        {
            int length = rng.Next(0, buffer.Length + 1);
            var seg = buffer.AsSpan(0, length);
            rng.NextBytes(seg);
            if (length > 12 && rng.Next(2) == 0)
            {
                seg[12] = (byte)(rng.Next(5, 16) << 4); // give the option walker plenty of work
            }
            if (!TcpPacket.TryCreate(seg, out var p) || !TcpRepr.TryParse(p, out var repr))
            {
                continue;
            }
            parsedCount++;
            // Whatever we understood, we can write back out and read again to the same value.
            var sendable = repr with { SackBlocks = repr.SackBlocks.Take(repr.EmittedSackBlockCount) };
            Assert.Equal(sendable, RoundTrip(sendable));
        }
        Assert.True(parsedCount > 1000, $"only {parsedCount} random segments parsed");
    }

    private static void RoundTrips(TcpRepr repr) => Assert.Equal(repr, RoundTrip(repr));

    private static TcpRepr RoundTrip(TcpRepr repr)
    {
        var buffer = new byte[repr.HeaderLength];
        repr.Emit(buffer, TcpFixtures.Kernel, TcpFixtures.Peer, []);
        Assert.True(TcpPacket.TryCreate(buffer, out var p));
        Assert.True(p.VerifyChecksum(TcpFixtures.Kernel, TcpFixtures.Peer));
        Assert.True(TcpRepr.TryParse(p, out var parsed));
        return parsed;
    }

    private static TcpRepr ParseOptions(string optionsHex)
    {
        Assert.True(TryParseOptions(optionsHex, out var repr));
        return repr;
    }

    private static bool TryParseOptions(string optionsHex, out TcpRepr repr)
    {
        var options = Convert.FromHexString(optionsHex);
        int padded = (options.Length + 3) / 4 * 4;
        var bytes = new byte[20 + padded];
        bytes[1] = 1;
        bytes[3] = 2;
        bytes[12] = (byte)((bytes.Length / 4) << 4);
        options.CopyTo(bytes, 20); // padding bytes are zero = EOL
        Assert.True(TcpPacket.TryCreate(bytes, out var p));
        return TcpRepr.TryParse(p, out repr);
    }
}
