using Mip.Stack.Tests.Sockets.Dns;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Wire;

public sealed class DnsPacketTests
{
    [Fact]
    public void Deconstructs_the_header_of_an_a_response()
    {
        Assert.True(DnsPacket.TryCreate(DnsFixtures.Bytes(DnsFixtures.ExampleComA), out var packet));
        Assert.Equal(0x3c5e, packet.Id);
        Assert.True(packet.IsResponse);
        Assert.Equal(DnsOpcode.Query, packet.Opcode);
        Assert.False(packet.IsAuthoritative);
        Assert.False(packet.IsTruncated);
        Assert.True(packet.RecursionDesired);
        Assert.True(packet.RecursionAvailable);
        Assert.Equal(DnsResponseCode.NoError, packet.ResponseCode);
        Assert.Equal((1, 1, 0, 0), (packet.QuestionCount, packet.AnswerCount, packet.AuthorityCount, packet.AdditionalCount));
    }

    [Fact]
    public void Header_repr_parses_and_emits_the_same_bytes()
    {
        byte[] message = DnsFixtures.Bytes(DnsFixtures.ExampleComA);
        Assert.True(DnsPacket.TryCreate(message, out var packet));
        Assert.True(DnsHeaderRepr.TryParse(packet, out var repr));
        Assert.Equal(new DnsHeaderRepr(0x3c5e, true, DnsOpcode.Query, false, false, true, true, DnsResponseCode.NoError, 1, 1, 0, 0), repr);
        var emitted = new byte[DnsHeaderRepr.BufferLength];
        repr.Emit(emitted);
        Assert.Equal(message[..12], emitted);
    }

    [Fact]
    public void Reads_question_and_compressed_answer()
    {
        Assert.True(DnsPacket.TryCreate(DnsFixtures.Bytes(DnsFixtures.ExampleComA), out var packet));
        Span<byte> names = stackalloc byte[DnsName.MaxLength];
        var reader = packet.GetReader(names);
        Assert.True(reader.TryReadQuestion(out var question));
        Assert.Equal("example.com", DnsName.ToText(question.Name));
        Assert.Equal(DnsRecordType.A, question.Type);
        Assert.Equal(1, question.Class);
        Assert.True(reader.TryReadRecord(out var answer));
        Assert.Equal("example.com", DnsName.ToText(answer.Name));
        Assert.Equal(3600u, answer.TtlSeconds);
        Assert.True(answer.TryGetA(out var address));
        Assert.Equal(new Ipv4Address(93, 184, 216, 34), address);
        Assert.Equal(packet.Buffer.Length, reader.Offset);
    }

    [Fact]
    public void Reads_cname_target_and_pointer_into_rdata()
    {
        byte[] message = DnsFixtures.Bytes(DnsFixtures.WwwLabTestCname);
        Assert.True(DnsPacket.TryCreate(message, out var packet));
        Span<byte> names = stackalloc byte[DnsName.MaxLength];
        Span<byte> target = stackalloc byte[DnsName.MaxLength];
        var reader = packet.GetReader(names);
        Assert.True(reader.TryReadQuestion(out _));
        Assert.True(reader.TryReadRecord(out var cname));
        Assert.Equal(DnsRecordType.Cname, cname.Type);
        Assert.True(cname.TryGetTargetName(message, target, out int targetLength));
        Assert.Equal("web.lab.test", DnsName.ToText(target[..targetLength]));
        Assert.False(cname.TryGetA(out _));
        Assert.True(reader.TryReadRecord(out var a));
        Assert.Equal("web.lab.test", DnsName.ToText(a.Name));
        Assert.True(a.TryGetA(out var address));
        Assert.Equal(new Ipv4Address(192, 168, 2, 50), address);
    }

    [Fact]
    public void Aaaa_record_parses_as_sixteen_bytes()
    {
        byte[] message = DnsMessageBuilder.Response(7).Question("v6.lab.test", DnsRecordType.Aaaa)
            .Aaaa("v6.lab.test", 120, "20010db8000000000000000000000001").Build();
        Assert.True(DnsPacket.TryCreate(message, out var packet));
        Span<byte> names = stackalloc byte[DnsName.MaxLength];
        var reader = packet.GetReader(names);
        Assert.True(reader.TryReadQuestion(out _));
        Assert.True(reader.TryReadRecord(out var record));
        Assert.True(record.TryGetAaaa(out var address));
        Assert.Equal(UInt128.Parse("20010db8000000000000000000000001", System.Globalization.NumberStyles.HexNumber), address);
        Assert.False(record.TryGetA(out _));
    }

    [Fact]
    public void Soa_minimum_is_read_after_two_compressed_names()
    {
        byte[] message = DnsMessageBuilder.Response(7, DnsResponseCode.NameError).Question("nope.lab.test")
            .Soa("lab.test", ttl: 600, minimum: 45).Build();
        Assert.True(DnsPacket.TryCreate(message, out var packet));
        Span<byte> names = stackalloc byte[DnsName.MaxLength];
        var reader = packet.GetReader(names);
        Assert.True(reader.TryReadQuestion(out _));
        Assert.True(reader.TryReadRecord(out var soa));
        Assert.True(soa.TryGetSoaMinimum(message, out uint minimum));
        Assert.Equal(45u, minimum);
        Assert.Equal(600u, soa.TtlSeconds);
    }

    [Fact]
    public void Ttl_with_top_bit_set_is_zero()
    {
        byte[] message = DnsFixtures.Bytes(DnsFixtures.ExampleComA);
        message[12 + 17 + 6] = 0x80;   // first octet of the answer's TTL
        Assert.True(DnsPacket.TryCreate(message, out var packet));
        Span<byte> names = stackalloc byte[DnsName.MaxLength];
        var reader = packet.GetReader(names);
        Assert.True(reader.TryReadQuestion(out _));
        Assert.True(reader.TryReadRecord(out var answer));
        Assert.Equal(0x80000e10u, answer.RawTtl);
        Assert.Equal(0u, answer.TtlSeconds);
    }

    [Fact]
    public void Builds_a_recursive_query_with_one_question()
    {
        var buffer = new byte[DnsPacket.MaxUdpLength];
        Assert.True(DnsQuery.TryBuild(buffer, 0x3c5e, "Example.COM.", DnsRecordType.A, out int length, out _));
        Assert.Equal("3c5e01000001000000000000074578616d706c6503434f4d0000010001", Convert.ToHexStringLower(buffer.AsSpan(0, length)));
        Assert.True(DnsQuery.TryBuild(buffer, 1, "v6.lab", DnsRecordType.Aaaa, out length, out _));
        Assert.Equal("001c0001", Convert.ToHexStringLower(buffer.AsSpan(length - 4, 4)));
    }

    [Fact]
    public void Query_builder_refuses_invalid_names_with_a_reason()
    {
        var buffer = new byte[DnsPacket.MaxUdpLength];
        Assert.False(DnsQuery.TryBuild(buffer, 1, "a..b", DnsRecordType.A, out _, out var error));
        Assert.Equal(DnsNameError.EmptyLabel, error);
        Assert.Contains("empty label", DnsName.Describe(error));
    }

    [Theory]
    [InlineData(DnsFixtures.ExampleComA)]
    [InlineData(DnsFixtures.WwwLabTestCname)]
    public void Every_truncation_of_a_response_fails_cleanly(string hex)
    {
        byte[] message = DnsFixtures.Bytes(hex);
        Assert.True(ParseAll(message));
        for (int length = 0; length < message.Length; length++)
        {
            Assert.False(ParseAll(message[..length]), $"prefix of {length} bytes parsed");
        }
    }

    [Fact]
    public void Random_corruption_never_throws()
    {
        var random = new Random(1035);
        byte[][] fixtures = [DnsFixtures.Bytes(DnsFixtures.ExampleComA), DnsFixtures.Bytes(DnsFixtures.WwwLabTestCname)];
        int parsed = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] message = (byte[])fixtures[i % 2].Clone();
            for (int flips = random.Next(1, 4); flips > 0; flips--)
            {
                message[random.Next(message.Length)] = (byte)random.Next(256);
            }
            parsed += ParseAll(message) ? 1 : 0;
        }
        // Some corruptions hit only TTLs or addresses and still parse; many do not. Both kinds must occur.
        Assert.InRange(parsed, 1, 19_999);
    }

    /// <summary>Reads every section and every typed field; true when the whole message is well formed.</summary>
    private static bool ParseAll(byte[] message)
    {
        if (!DnsPacket.TryCreate(message, out var packet))
        {
            return false;
        }
        Span<byte> names = stackalloc byte[DnsName.MaxLength];
        Span<byte> target = stackalloc byte[DnsName.MaxLength];
        var reader = packet.GetReader(names);
        for (int i = 0; i < packet.QuestionCount; i++)
        {
            if (!reader.TryReadQuestion(out _))
            {
                return false;
            }
        }
        int records = packet.AnswerCount + packet.AuthorityCount + packet.AdditionalCount;
        for (int i = 0; i < records; i++)
        {
            if (!reader.TryReadRecord(out var record))
            {
                return false;
            }
            _ = record.TryGetA(out _);
            _ = record.TryGetAaaa(out _);
            _ = record.TryGetTargetName(message, target, out _);
            _ = record.TryGetSoaMinimum(message, out _);
        }
        return reader.Offset == message.Length;
    }
}
