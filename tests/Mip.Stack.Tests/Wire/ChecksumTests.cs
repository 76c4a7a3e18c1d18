using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Wire;

public sealed class ChecksumTests
{
    [Fact]
    public void Rfc1071_example_sums_to_expected_value()
    {
        // RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 -> sum ddf2, checksum 220d.
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal(0x220d, Checksum.Compute(data));
    }

    [Fact]
    public void Ipv4_header_captured_from_kernel_verifies_to_zero()
    {
        // An ICMP echo request IPv4 header from 192.168.2.1 to 192.168.2.10 as sent by Linux.
        byte[] header = Convert.FromHexString("45000054a6f2400040010e5bc0a80201c0a8020a".Replace(" ", ""));
        Assert.Equal(0, Checksum.Compute(header));
    }

    [Fact]
    public void Odd_length_pads_with_zero_byte()
    {
        Assert.Equal(Checksum.Compute([0x12, 0x34, 0x56, 0x00]), Checksum.Compute([0x12, 0x34, 0x56]));
    }

    [Fact]
    public void Accumulate_in_pieces_equals_whole()
    {
        var data = new byte[1001];
        new Random(7).NextBytes(data);
        uint sum = Checksum.Accumulate(0, data.AsSpan(0, 400));
        sum = Checksum.Accumulate(sum, data.AsSpan(400));
        Assert.Equal(Checksum.Compute(data), Checksum.Finish(sum));
    }
}
