using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Wire;

public sealed class DnsNameTests
{
    [Theory]
    [InlineData("example.com", "076578616d706c6503636f6d00")]
    [InlineData("example.com.", "076578616d706c6503636f6d00")]
    [InlineData("_sip._udp.a-b.lab", "045f736970045f75647003612d62036c616200")]
    [InlineData("localhost", "096c6f63616c686f737400")]
    public void Encodes_valid_names(string name, string expectedHex)
    {
        Span<byte> wire = stackalloc byte[DnsName.MaxLength];
        Assert.True(DnsName.TryEncode(name, wire, out int length, out var error));
        Assert.Equal(DnsNameError.None, error);
        Assert.Equal(expectedHex, Convert.ToHexStringLower(wire[..length]));
    }

    [Theory]
    [InlineData("", (int)DnsNameError.Empty)]
    [InlineData(".", (int)DnsNameError.Empty)]
    [InlineData("a..b", (int)DnsNameError.EmptyLabel)]
    [InlineData(".example.com", (int)DnsNameError.EmptyLabel)]
    [InlineData("example.com..", (int)DnsNameError.EmptyLabel)]
    [InlineData("bad name.com", (int)DnsNameError.InvalidCharacter)]
    [InlineData("b\u00fccher.de", (int)DnsNameError.InvalidCharacter)]
    [InlineData("a\\.b", (int)DnsNameError.InvalidCharacter)]
    public void Rejects_invalid_names_with_a_reason(string name, int expected)
    {
        Span<byte> wire = stackalloc byte[DnsName.MaxLength];
        Assert.False(DnsName.TryEncode(name, wire, out _, out var error));
        Assert.Equal((DnsNameError)expected, error);
        Assert.NotEmpty(DnsName.Describe(error));
    }

    [Fact]
    public void Label_of_63_is_accepted_and_64_rejected()
    {
        Span<byte> wire = stackalloc byte[DnsName.MaxLength];
        Assert.True(DnsName.TryEncode(new string('a', 63) + ".com", wire, out int length, out _));
        Assert.Equal(1 + 63 + 1 + 3 + 1, length);
        Assert.False(DnsName.TryEncode(new string('a', 64) + ".com", wire, out _, out var error));
        Assert.Equal(DnsNameError.LabelTooLong, error);
    }

    [Fact]
    public void Name_of_255_octets_is_accepted_and_256_rejected()
    {
        // Four 61-character labels: 4 * 62 + 1 = 249 octets; a fifth label of 4 characters makes 254, of 5 makes 255.
        string four = string.Join('.', Enumerable.Repeat(new string('x', 61), 4));
        Span<byte> wire = stackalloc byte[DnsName.MaxLength];
        Assert.True(DnsName.TryEncode(four + ".abcde", wire, out int length, out _));
        Assert.Equal(255, length);
        Assert.False(DnsName.TryEncode(four + ".abcdef", wire, out _, out var error));
        Assert.Equal(DnsNameError.NameTooLong, error);
    }

    [Fact]
    public void Reads_name_through_a_backward_pointer()
    {
        // Offset 0: "lab.test", offset 10: "www" + pointer to 0.
        byte[] message = Convert.FromHexString("036c616204746573740003777777c000");
        Span<byte> name = stackalloc byte[DnsName.MaxLength];
        Assert.True(DnsName.TryRead(message, 10, name, out int length, out int next));
        Assert.Equal("www.lab.test", DnsName.ToText(name[..length]));
        Assert.Equal(16, next);
    }

    [Theory]
    [InlineData("c000", 0)]              // points at itself
    [InlineData("c002c000", 0)]          // forward pointer
    [InlineData("0161c000", 0)]          // label then pointer back to the start of the same name
    [InlineData("0161c0040162c000", 4)]  // two names pointing at each other: 4 -> 0 -> 4
    [InlineData("40", 0)]                // reserved label type 01
    [InlineData("80", 0)]                // reserved label type 10
    [InlineData("0361", 0)]              // label runs past the end
    [InlineData("0161", 0)]              // no terminating root label
    [InlineData("c0", 0)]                // half a pointer
    public void Rejects_loops_forward_pointers_and_truncation(string hex, int offset)
    {
        byte[] message = Convert.FromHexString(hex);
        Span<byte> name = stackalloc byte[DnsName.MaxLength];
        Assert.False(DnsName.TryRead(message, offset, name, out _, out _));
    }

    [Fact]
    public void Rejects_names_that_expand_beyond_255_octets()
    {
        // A chain of pointers each adding a 63-octet label: "x63.x63.x63.x63" plus root is 257 octets.
        var message = new List<byte> { 0 };
        var starts = new List<int>();
        int previous = 0;
        for (int i = 0; i < 4; i++)
        {
            starts.Add(message.Count);
            message.Add(63);
            message.AddRange(Enumerable.Repeat((byte)'x', 63));
            message.AddRange([(byte)(0xC0 | (previous >> 8)), (byte)previous]);
            previous = starts[^1];
        }
        Span<byte> name = stackalloc byte[DnsName.MaxLength];
        Assert.True(DnsName.TryRead(message.ToArray(), starts[2], name, out int three, out _));
        Assert.Equal(3 * 64 + 1, three);
        Assert.False(DnsName.TryRead(message.ToArray(), starts[3], name, out _, out _));
    }

    [Fact]
    public void Comparison_ignores_ascii_case_only()
    {
        byte[] a = Convert.FromHexString("03577777076578616d706c6500");   // "Www.example"
        byte[] b = Convert.FromHexString("03777777074558414d504c4500");   // "www.EXAMPLE"
        byte[] c = Convert.FromHexString("03777777076578616d706c6600");   // "www.examplf"
        Assert.True(DnsName.EqualsIgnoreCase(a, b));
        Assert.False(DnsName.EqualsIgnoreCase(a, c));
    }

    [Fact]
    public void Text_form_escapes_unprintable_and_dot_octets()
    {
        byte[] wire = Convert.FromHexString("03612e620200ff00");
        Assert.Equal("a\\046b.\\000\\255", DnsName.ToText(wire));
        Assert.Equal(".", DnsName.ToText([0]));
    }
}
