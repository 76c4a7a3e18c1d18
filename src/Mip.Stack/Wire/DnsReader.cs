using System.Buffers.Binary;

namespace Mip.Stack.Wire;

/// <summary>
/// A forward cursor over the sections of a DNS message (RFC 1035 §4.1). The caller knows from the header counts
/// how many questions and records follow. Every read checks bounds and returns false on bad bytes; after a failed
/// read the cursor does not move. Names are expanded into the buffer given at construction, so the name of a
/// question or record stays valid only until the next read.
/// </summary>
internal ref struct DnsReader
{
    private const int QuestionFixedLength = 4;   // QTYPE, QCLASS
    private const int RecordFixedLength = 10;    // TYPE, CLASS, TTL, RDLENGTH

    private readonly ReadOnlySpan<byte> _message;
    private readonly Span<byte> _nameBuffer;

    /// <param name="message">The whole message (compression pointers are offsets into it).</param>
    /// <param name="offset">Where to start reading.</param>
    /// <param name="nameBuffer">At least <see cref="DnsName.MaxLength"/> bytes for expanded names.</param>
    public DnsReader(ReadOnlySpan<byte> message, int offset, Span<byte> nameBuffer)
    {
        _message = message;
        _nameBuffer = nameBuffer;
        Offset = offset;
    }

    /// <summary>Offset of the next entry in the message.</summary>
    public int Offset { get; private set; }

    /// <summary>Reads a question.</summary>
    public bool TryReadQuestion(out DnsQuestion question)
    {
        question = default;
        if (!DnsName.TryRead(_message, Offset, _nameBuffer, out int nameLength, out int next)
            || next + QuestionFixedLength > _message.Length)
        {
            return false;
        }
        var type = (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(_message[next..]);
        ushort @class = BinaryPrimitives.ReadUInt16BigEndian(_message[(next + 2)..]);
        question = new DnsQuestion(_nameBuffer[..nameLength], type, @class);
        Offset = next + QuestionFixedLength;
        return true;
    }

    /// <summary>Reads a resource record.</summary>
    public bool TryReadRecord(out DnsRecord record)
    {
        record = default;
        if (!DnsName.TryRead(_message, Offset, _nameBuffer, out int nameLength, out int next)
            || next + RecordFixedLength > _message.Length)
        {
            return false;
        }
        var fixedPart = _message.Slice(next, RecordFixedLength);
        var type = (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(fixedPart);
        ushort @class = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[2..]);
        uint ttl = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[4..]);
        int dataLength = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[8..]);
        int dataOffset = next + RecordFixedLength;
        if (dataOffset + dataLength > _message.Length)
        {
            return false;
        }
        record = new DnsRecord(_nameBuffer[..nameLength], type, @class, ttl, _message.Slice(dataOffset, dataLength), dataOffset);
        Offset = dataOffset + dataLength;
        return true;
    }

    /// <summary>Skips a record, expanding nothing but still validating its owner name and lengths.</summary>
    public bool TrySkipRecord()
    {
        if (!DnsName.TrySkip(_message, Offset, out int next) || next + RecordFixedLength > _message.Length)
        {
            return false;
        }
        int end = next + RecordFixedLength + BinaryPrimitives.ReadUInt16BigEndian(_message[(next + 8)..]);
        if (end > _message.Length)
        {
            return false;
        }
        Offset = end;
        return true;
    }
}
