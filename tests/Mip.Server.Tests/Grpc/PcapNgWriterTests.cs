using Mip.Server.Grpc.Capture;

namespace Mip.Server.Tests.Grpc;

public sealed class PcapNgWriterTests
{
    [Fact]
    public void Header_is_a_section_header_then_an_ethernet_interface_named_my0()
    {
        var buffer = new byte[PcapNgWriter.HeaderLength("my0")];
        int length = PcapNgWriter.WriteHeader(buffer, "my0", 65535);
        Assert.Equal(buffer.Length, length);
        Assert.Equal(
            // SHB: type, length 28, byte-order magic, version 1.0, section length -1, length 28.
            "0A0D0D0A" + "1C000000" + "4D3C2B1A" + "0100" + "0000" + "FFFFFFFFFFFFFFFF" + "1C000000"
            // IDB: type 1, length 32, LINKTYPE_ETHERNET, reserved, snaplen 65535, if_name "my0\0", opt_endofopt, length 32.
            + "01000000" + "20000000" + "0100" + "0000" + "FFFF0000" + "0200" + "0300" + "6D793000" + "00000000" + "20000000",
            Convert.ToHexString(buffer));
    }

    [Fact]
    public void Packet_block_pads_the_frame_and_flags_the_direction()
    {
        byte[] frame = [1, 2, 3, 4, 5];
        var buffer = new byte[PcapNgWriter.PacketBlockLength(frame.Length)];
        long micros = 0x0000_0001_0000_0002;
        int length = PcapNgWriter.WritePacket(buffer, micros, frame, 60, inbound: false);
        Assert.Equal(52, length);
        Assert.Equal(
            "06000000" + "34000000" + "00000000" + "01000000" + "02000000" + "05000000" + "3C000000"
            + "0102030405000000" + "0200" + "0400" + "02000000" + "00000000" + "34000000",
            Convert.ToHexString(buffer));
        PcapNgWriter.WritePacket(buffer, micros, frame, 60, inbound: true);
        Assert.Equal(1, buffer[40]); // epb_flags inbound = 01
    }
}
