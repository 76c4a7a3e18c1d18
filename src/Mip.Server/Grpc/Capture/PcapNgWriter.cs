using System.Buffers.Binary;

namespace Mip.Server.Grpc.Capture;

/// <summary>
/// Writes pcapng blocks (draft-ietf-opsawg-pcapng) in little-endian order: a Section Header Block and one Ethernet
/// Interface Description Block to start a stream, then one Enhanced Packet Block per frame with its direction in
/// epb_flags. Microsecond timestamps (the default if_tsresol). Blocks go into a caller's buffer: no allocation.
/// </summary>
internal static class PcapNgWriter
{
    public const uint SectionHeaderType = 0x0A0D0D0A;
    public const uint InterfaceDescriptionType = 0x00000001;
    public const uint EnhancedPacketType = 0x00000006;
    public const uint ByteOrderMagic = 0x1A2B3C4D;
    public const ushort LinkTypeEthernet = 1;

    private const ushort OptionEnd = 0;
    private const ushort OptionIfName = 2;
    private const ushort OptionEpbFlags = 2;

    /// <summary>Length of the SHB and IDB written by <see cref="WriteHeader"/> for <paramref name="interfaceName"/>.</summary>
    public static int HeaderLength(string interfaceName) => 28 + InterfaceBlockLength(interfaceName);

    /// <summary>SHB (version 1.0, unknown section length) and the IDB of interface 0.</summary>
    public static int WriteHeader(Span<byte> buffer, string interfaceName, int snapLength)
    {
        // Section Header Block: type, length, magic, major 1, minor 0, section length -1 (not known: a stream), length.
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, SectionHeaderType);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[4..], 28);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[8..], ByteOrderMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[12..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[14..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[16..], -1);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[24..], 28);

        var idb = buffer[28..];
        int length = InterfaceBlockLength(interfaceName);
        BinaryPrimitives.WriteUInt32LittleEndian(idb, InterfaceDescriptionType);
        BinaryPrimitives.WriteUInt32LittleEndian(idb[4..], (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(idb[8..], LinkTypeEthernet);
        BinaryPrimitives.WriteUInt16LittleEndian(idb[10..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(idb[12..], (uint)snapLength);
        int at = 16;
        int nameLength = System.Text.Encoding.UTF8.GetByteCount(interfaceName);
        if (nameLength > 0)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(idb[at..], OptionIfName);
            BinaryPrimitives.WriteUInt16LittleEndian(idb[(at + 2)..], (ushort)nameLength);
            System.Text.Encoding.UTF8.GetBytes(interfaceName, idb[(at + 4)..]);
            int padded = Pad4(nameLength);
            idb.Slice(at + 4 + nameLength, padded - nameLength).Clear();
            at += 4 + padded;
            at = WriteEndOfOptions(idb, at);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(idb[at..], (uint)length);
        return 28 + length;
    }

    /// <summary>Length of the EPB for a frame of which <paramref name="capturedLength"/> bytes are kept.</summary>
    public static int PacketBlockLength(int capturedLength) => 28 + Pad4(capturedLength) + 12 + 4;

    /// <summary>
    /// One Enhanced Packet Block on interface 0. <paramref name="inbound"/> sets epb_flags bits 0-1 to 01 (inbound)
    /// or 10 (outbound).
    /// </summary>
    public static int WritePacket(Span<byte> buffer, long timestampMicroseconds, ReadOnlySpan<byte> frame, int originalLength, bool inbound)
    {
        int padded = Pad4(frame.Length);
        int length = PacketBlockLength(frame.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, EnhancedPacketType);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[4..], (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[12..], (uint)((ulong)timestampMicroseconds >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[16..], (uint)timestampMicroseconds);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[20..], (uint)frame.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[24..], (uint)originalLength);
        frame.CopyTo(buffer[28..]);
        buffer.Slice(28 + frame.Length, padded - frame.Length).Clear();
        int at = 28 + padded;
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[at..], OptionEpbFlags);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[(at + 2)..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[(at + 4)..], inbound ? 1u : 2u);
        at = WriteEndOfOptions(buffer, at + 8);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[at..], (uint)length);
        return length;
    }

    private static int InterfaceBlockLength(string interfaceName)
    {
        int nameLength = System.Text.Encoding.UTF8.GetByteCount(interfaceName);
        return 20 + (nameLength > 0 ? 4 + Pad4(nameLength) + 4 : 0);
    }

    private static int WriteEndOfOptions(Span<byte> buffer, int at)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[at..], OptionEnd);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[(at + 2)..], 0);
        return at + 4;
    }

    private static int Pad4(int n) => (n + 3) & ~3;
}
