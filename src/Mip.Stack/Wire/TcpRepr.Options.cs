using System.Buffers.Binary;

namespace Mip.Stack.Wire;

public readonly partial record struct TcpRepr
{
    /// <summary>Largest window scale shift (RFC 7323 §2.3): larger values are treated as 14.</summary>
    public const byte MaxWindowScale = 14;

    private const int MssOptionLength = 4;
    private const int WindowScaleOptionLength = 3;
    private const int SackPermittedOptionLength = 2;
    private const int TimestampsOptionLength = 10;
    private const int SackBlockLength = 8;

    /// <summary>
    /// Walks the option list (RFC 9293 §3.2) into <paramref name="repr"/>. Never throws.
    /// <list type="bullet">
    /// <item>EOL ends the list; NOP is skipped; an unknown kind is skipped by its length byte (RFC 9293 §3.2: "MUST
    /// ignore option kinds it does not implement", MUST-68 style).</item>
    /// <item>A known kind with the wrong length (an MSS of length 3, a SACK of length 2 + 7) is ignored and the walk goes
    /// on by its length byte, as Linux does: the list stays well delimited, only that option is meaningless.</item>
    /// <item>A length byte that is missing, below 2, or runs past the header makes the rest of the list unparseable.
    /// We reject the whole segment (return false) instead of guessing: RFC 9293 §3.1 (MUST-7) requires handling
    /// illegal option lengths without crashing, and silently acting on half an option list (e.g. a SYN whose window
    /// scale we could not see) would desynchronise the window arithmetic with the peer.</item>
    /// <item>A repeated option overwrites the earlier one (the last one wins, like Linux).</item>
    /// </list>
    /// </summary>
    private static bool TryParseOptions(ReadOnlySpan<byte> options, ref TcpRepr repr)
    {
        int i = 0;
        while (i < options.Length)
        {
            var kind = (TcpOptionKind)options[i];
            if (kind == TcpOptionKind.EndOfList)
            {
                break; // the rest is padding (RFC 9293 §3.2)
            }
            if (kind == TcpOptionKind.NoOperation)
            {
                i++;
                continue;
            }
            if (i + 1 >= options.Length)
            {
                return false; // kind byte without its length byte
            }
            int length = options[i + 1];
            if (length < 2 || i + length > options.Length)
            {
                return false; // a length that cannot delimit the option (a zero would loop forever)
            }
            var body = options.Slice(i + 2, length - 2);
            switch (kind)
            {
                case TcpOptionKind.MaxSegmentSize when length == MssOptionLength:
                    repr = repr with { MaxSegmentSize = BinaryPrimitives.ReadUInt16BigEndian(body) };
                    break;
                case TcpOptionKind.WindowScale when length == WindowScaleOptionLength:
                    // RFC 7323 §2.3: a shift above 14 is used as 14 (and is worth a log line in the socket).
                    repr = repr with { WindowScale = Math.Min(body[0], MaxWindowScale) };
                    break;
                case TcpOptionKind.SackPermitted when length == SackPermittedOptionLength:
                    repr = repr with { SackPermitted = true };
                    break;
                case TcpOptionKind.Sack when length > 2 && (length - 2) % SackBlockLength == 0:
                    repr = repr with { SackBlocks = ReadSackBlocks(body) };
                    break;
                case TcpOptionKind.Timestamps when length == TimestampsOptionLength:
                    repr = repr with
                    {
                        Timestamp = new TcpTimestamp(
                            BinaryPrimitives.ReadUInt32BigEndian(body), BinaryPrimitives.ReadUInt32BigEndian(body[4..])),
                    };
                    break;
                default:
                    break; // unknown kind, or known kind with a wrong length: skipped by its length
            }
            i += length;
        }
        return true;
    }

    private static TcpSackBlocks ReadSackBlocks(ReadOnlySpan<byte> body)
    {
        // At most four blocks fit in the 40-byte option area (RFC 2018 §3), so Capacity is never exceeded.
        var blocks = default(TcpSackBlocks);
        for (int o = 0; o + SackBlockLength <= body.Length; o += SackBlockLength)
        {
            var block = new TcpSackBlock(
                new TcpSeq(BinaryPrimitives.ReadUInt32BigEndian(body[o..])),
                new TcpSeq(BinaryPrimitives.ReadUInt32BigEndian(body[(o + 4)..])));
            if (!blocks.TryAdd(block, out blocks))
            {
                break;
            }
        }
        return blocks;
    }
}
