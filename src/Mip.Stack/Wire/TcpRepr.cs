namespace Mip.Stack.Wire;

/// <summary>
/// The parsed meaning of a TCP header (RFC 9293 §3.1) and its options. The payload is not part of the value: on
/// receive the caller takes it from <see cref="TcpPacket.Payload"/>; on send the caller places it after the
/// <see cref="HeaderLength"/> bytes that <see cref="Emit(Span{byte}, Ipv4Address, Ipv4Address, ReadOnlySpan{byte})"/>
/// writes, and passes it in for the checksum.
/// </summary>
/// <remarks>
/// The options are reported as found on the wire; which of them count in which state (MSS and window scale only on
/// a SYN, RFC 9293 §3.7.1 and RFC 7323 §2.2) is the socket's decision, not the parser's.
/// </remarks>
public readonly partial record struct TcpRepr
{
    public ushort SourcePort { get; init; }
    public ushort DestinationPort { get; init; }
    public TcpSeq SequenceNumber { get; init; }

    /// <summary>Meaningful only with <see cref="TcpFlags.Ack"/> set (RFC 9293 §3.1); emitted as given.</summary>
    public TcpSeq AcknowledgmentNumber { get; init; }

    public TcpFlags Flags { get; init; }

    /// <summary>The raw 16-bit window field, before any window scaling (RFC 7323 §2.3).</summary>
    public ushort Window { get; init; }

    public ushort UrgentPointer { get; init; }

    /// <summary>MSS option value (RFC 9293 §3.7.1), or null if absent.</summary>
    public ushort? MaxSegmentSize { get; init; }

    /// <summary>Window scale shift count (RFC 7323 §2.2), already clamped to 14 on parse (RFC 7323 §2.3).</summary>
    public byte? WindowScale { get; init; }

    /// <summary>SACK-permitted option present (RFC 2018 §2).</summary>
    public bool SackPermitted { get; init; }

    /// <summary>SACK blocks in wire order (RFC 2018 §3); empty if the option is absent.</summary>
    public TcpSackBlocks SackBlocks { get; init; }

    /// <summary>Timestamps option (RFC 7323 §3.2), or null if absent.</summary>
    public TcpTimestamp? Timestamp { get; init; }

    public bool HasFlag(TcpFlags flag) => (Flags & flag) == flag;

    /// <summary>
    /// Reads the header and options of <paramref name="packet"/>. The checksum is not looked at: verify it first with
    /// <see cref="TcpPacket.VerifyChecksum"/>. Returns false (the caller drops and counts the segment) when a port is
    /// zero or the option area is structurally malformed; see <see cref="TryParseOptions"/> for the exact policy.
    /// </summary>
    public static bool TryParse(in TcpPacket packet, out TcpRepr repr)
    {
        repr = default;
        // Port 0 is reserved (IANA) and no socket can be bound to it; a segment to or from it is bogus.
        if (packet.SourcePort == 0 || packet.DestinationPort == 0)
        {
            return false;
        }
        var r = new TcpRepr
        {
            SourcePort = packet.SourcePort,
            DestinationPort = packet.DestinationPort,
            SequenceNumber = packet.SequenceNumber,
            AcknowledgmentNumber = packet.AcknowledgmentNumber,
            Flags = packet.Flags,
            Window = packet.Window,
            UrgentPointer = packet.UrgentPointer,
        };
        if (!TryParseOptions(packet.Options, ref r))
        {
            return false;
        }
        repr = r;
        return true;
    }
}
