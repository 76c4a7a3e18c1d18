using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Wire;

public sealed class TcpPacketTests
{
    [Fact]
    public void Linux_syn_view_reads_every_field()
    {
        Assert.True(TcpPacket.TryCreate(TcpFixtures.Syn, out var p));
        Assert.Equal(59092, p.SourcePort);
        Assert.Equal(80, p.DestinationPort);
        Assert.Equal(new TcpSeq(0x0308e9ff), p.SequenceNumber);
        Assert.Equal(new TcpSeq(0), p.AcknowledgmentNumber);
        Assert.Equal(40, p.HeaderLength);
        Assert.Equal(TcpFlags.Syn, p.Flags);
        Assert.Equal(64240, p.Window);
        Assert.Equal(0x7b14, p.Checksum);
        Assert.Equal(0, p.UrgentPointer);
        Assert.Equal(20, p.Options.Length);
        Assert.True(p.Payload.IsEmpty);
        Assert.Equal(1, p.SegmentLength);
    }

    [Theory]
    [InlineData(nameof(TcpFixtures.Syn))]
    [InlineData(nameof(TcpFixtures.SynAck))]
    [InlineData(nameof(TcpFixtures.AckWithTimestamps))]
    [InlineData(nameof(TcpFixtures.AckWithThreeSackBlocks))]
    public void Kernel_checksums_verify(string fixture)
    {
        var bytes = Fixture(fixture);
        Assert.True(TcpPacket.TryCreate(bytes, out var p));
        Assert.True(p.VerifyChecksum(TcpFixtures.Kernel, TcpFixtures.Peer));
        // The pseudo-header is covered: the same bytes between other addresses do not verify.
        Assert.False(p.VerifyChecksum(TcpFixtures.Kernel, new Ipv4Address(10, 9, 0, 3)));
    }

    [Fact]
    public void Any_single_bit_flip_fails_the_checksum()
    {
        for (int bit = 0; bit < TcpFixtures.AckWithThreeSackBlocks.Length * 8; bit++)
        {
            var bytes = (byte[])TcpFixtures.AckWithThreeSackBlocks.Clone();
            bytes[bit / 8] ^= (byte)(1 << (bit % 8));
            if (TcpPacket.TryCreate(bytes, out var p))
            {
                Assert.False(p.VerifyChecksum(TcpFixtures.Kernel, TcpFixtures.Peer));
            }
        }
    }

    [Fact]
    public void Payload_and_segment_length_count_syn_and_fin()
    {
        var bytes = new byte[25];
        bytes[12] = 5 << 4;
        bytes[13] = (byte)(TcpFlags.Fin | TcpFlags.Ack);
        Assert.True(TcpPacket.TryCreate(bytes, out var p));
        Assert.Equal(5, p.Payload.Length);
        Assert.Equal(6, p.SegmentLength);
    }

    [Theory]
    [InlineData(19, 5)]   // fixed header truncated
    [InlineData(20, 4)]   // data offset below 5
    [InlineData(20, 0)]
    [InlineData(39, 10)]  // header claims 40 bytes, 39 present
    [InlineData(56, 15)]
    public void Rejects_impossible_lengths(int length, int dataOffset)
    {
        var bytes = new byte[length];
        if (length > 12)
        {
            bytes[12] = (byte)(dataOffset << 4);
        }
        Assert.False(TcpPacket.TryCreate(bytes, out _));
    }

    [Fact]
    public void Accepts_the_maximum_header()
    {
        var bytes = new byte[60];
        bytes[12] = 15 << 4;
        Assert.True(TcpPacket.TryCreate(bytes, out var p));
        Assert.Equal(60, p.HeaderLength);
        Assert.Equal(40, p.Options.Length);
    }

    [Fact]
    public void Reserved_bits_do_not_leak_into_flags_or_offset()
    {
        var bytes = (byte[])TcpFixtures.AckWithTimestamps.Clone();
        bytes[12] |= 0x0F;
        Assert.True(TcpPacket.TryCreate(bytes, out var p));
        Assert.Equal(32, p.HeaderLength);
        Assert.Equal(TcpFlags.Ack, p.Flags);
    }

    internal static byte[] Fixture(string name) => name switch
    {
        nameof(TcpFixtures.Syn) => TcpFixtures.Syn,
        nameof(TcpFixtures.SynAck) => TcpFixtures.SynAck,
        nameof(TcpFixtures.AckWithTimestamps) => TcpFixtures.AckWithTimestamps,
        nameof(TcpFixtures.AckWithThreeSackBlocks) => TcpFixtures.AckWithThreeSackBlocks,
        _ => throw new ArgumentException(name),
    };
}
