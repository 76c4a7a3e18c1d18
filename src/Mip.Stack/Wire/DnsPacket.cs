using System.Buffers.Binary;

namespace Mip.Stack.Wire;

/// <summary>
/// A read-only view of a DNS message (RFC 1035 §4.1): the fixed 12-byte header with its fields, and the whole
/// message for name decompression. Sections are read with <see cref="DnsReader"/>.
/// </summary>
internal readonly ref struct DnsPacket
{
    public const int HeaderLength = 12;

    /// <summary>Without EDNS(0) a UDP message is at most 512 bytes (RFC 1035 §2.3.4, §4.2.1).</summary>
    public const int MaxUdpLength = 512;

    private const int IdOffset = 0;
    private const int FlagsOffset = 2;
    private const int QuestionCountOffset = 4;
    private const int AnswerCountOffset = 6;
    private const int AuthorityCountOffset = 8;
    private const int AdditionalCountOffset = 10;

    // RFC 1035 §4.1.1 flag word: QR(1) OPCODE(4) AA(1) TC(1) RD(1) | RA(1) Z(3) RCODE(4).
    internal const ushort ResponseFlag = 0x8000;
    internal const int OpcodeShift = 11;
    internal const ushort AuthoritativeFlag = 0x0400;
    internal const ushort TruncatedFlag = 0x0200;
    internal const ushort RecursionDesiredFlag = 0x0100;
    internal const ushort RecursionAvailableFlag = 0x0080;
    internal const ushort ResponseCodeMask = 0x000F;

    private DnsPacket(ReadOnlySpan<byte> buffer) => Buffer = buffer;

    /// <summary>The whole message; compression pointers are offsets into it.</summary>
    public ReadOnlySpan<byte> Buffer { get; }

    /// <summary>Succeeds when the buffer holds at least a header. Section contents are checked as they are read.</summary>
    public static bool TryCreate(ReadOnlySpan<byte> buffer, out DnsPacket packet)
    {
        packet = default;
        if (buffer.Length < HeaderLength)
        {
            return false;
        }
        packet = new DnsPacket(buffer);
        return true;
    }

    public ushort Id => BinaryPrimitives.ReadUInt16BigEndian(Buffer[IdOffset..]);
    public ushort Flags => BinaryPrimitives.ReadUInt16BigEndian(Buffer[FlagsOffset..]);
    public bool IsResponse => (Flags & ResponseFlag) != 0;
    public DnsOpcode Opcode => (DnsOpcode)((Flags >> OpcodeShift) & 0xF);
    public bool IsAuthoritative => (Flags & AuthoritativeFlag) != 0;
    public bool IsTruncated => (Flags & TruncatedFlag) != 0;
    public bool RecursionDesired => (Flags & RecursionDesiredFlag) != 0;
    public bool RecursionAvailable => (Flags & RecursionAvailableFlag) != 0;
    public DnsResponseCode ResponseCode => (DnsResponseCode)(Flags & ResponseCodeMask);
    public ushort QuestionCount => BinaryPrimitives.ReadUInt16BigEndian(Buffer[QuestionCountOffset..]);
    public ushort AnswerCount => BinaryPrimitives.ReadUInt16BigEndian(Buffer[AnswerCountOffset..]);
    public ushort AuthorityCount => BinaryPrimitives.ReadUInt16BigEndian(Buffer[AuthorityCountOffset..]);
    public ushort AdditionalCount => BinaryPrimitives.ReadUInt16BigEndian(Buffer[AdditionalCountOffset..]);

    /// <summary>A reader positioned at the first question, expanding names into <paramref name="nameBuffer"/>
    /// (at least <see cref="DnsName.MaxLength"/> bytes).</summary>
    public DnsReader GetReader(Span<byte> nameBuffer) => new(Buffer, HeaderLength, nameBuffer);
}
