using System.Text;

namespace Mip.Stack.Wire;

/// <summary>
/// Domain names in wire form (RFC 1035 §3.1): a sequence of length-prefixed labels ending with the zero-length root
/// label. Reading expands compression pointers (§4.1.4) into a caller's buffer of <see cref="MaxLength"/> bytes, so a
/// name read from a message can be compared and stored without allocating.
/// </summary>
internal static class DnsName
{
    /// <summary>Names are 255 octets or less in wire form, root label included (RFC 1035 §2.3.4).</summary>
    public const int MaxLength = 255;

    /// <summary>Labels are 63 octets or less (RFC 1035 §2.3.4); the two top bits of a length octet are flags.</summary>
    public const int MaxLabelLength = 63;

    private const byte PointerFlags = 0xC0;

    /// <summary>
    /// Reads the possibly compressed name at <paramref name="offset"/> of <paramref name="message"/>, writing its
    /// uncompressed wire form into <paramref name="destination"/> (at least <see cref="MaxLength"/> bytes).
    /// <paramref name="nextOffset"/> is the offset just after the name where it sits (after the first pointer, if any).
    /// Returns false for truncation, reserved label types, loops, forward or self pointers and over-long names.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> message, int offset, Span<byte> destination, out int length, out int nextOffset)
    {
        length = 0;
        nextOffset = 0;
        if (destination.Length < MaxLength)
        {
            return false;
        }
        int pos = offset;
        // A pointer must point strictly before the start of the stretch of labels that contains it. Each jump then
        // lowers that start, so decompression always ends: loops, self and forward pointers are all rejected.
        int segmentStart = offset;
        bool jumped = false;
        int written = 0;
        while (true)
        {
            if ((uint)pos >= (uint)message.Length)
            {
                return false;
            }
            byte len = message[pos];
            if ((len & PointerFlags) == PointerFlags)
            {
                // RFC 1035 §4.1.4: two octets, 11 followed by a 14-bit offset from the start of the message.
                if (pos + 1 >= message.Length)
                {
                    return false;
                }
                int target = ((len & 0x3F) << 8) | message[pos + 1];
                if (target >= segmentStart)
                {
                    return false;
                }
                if (!jumped)
                {
                    nextOffset = pos + 2;
                    jumped = true;
                }
                segmentStart = target;
                pos = target;
                continue;
            }
            if ((len & PointerFlags) != 0)
            {
                // 01 and 10 prefixes are reserved (RFC 1035 §4.1.4; the RFC 6891 §5 extended label types are gone).
                return false;
            }
            if (len == 0)
            {
                destination[written++] = 0;
                if (!jumped)
                {
                    nextOffset = pos + 1;
                }
                length = written;
                return true;
            }
            // Room for this label and the root label that must still follow.
            if (pos + 1 + len > message.Length || written + 1 + len + 1 > MaxLength)
            {
                return false;
            }
            message.Slice(pos, 1 + len).CopyTo(destination[written..]);
            written += 1 + len;
            pos += 1 + len;
        }
    }

    /// <summary>Advances past a name without expanding it (for records whose owner name is not needed).</summary>
    public static bool TrySkip(ReadOnlySpan<byte> message, int offset, out int nextOffset)
    {
        Span<byte> scratch = stackalloc byte[MaxLength];
        return TryRead(message, offset, scratch, out _, out nextOffset);
    }

    /// <summary>
    /// Encodes a textual host name ("www.example.com", a trailing dot allowed) into wire form. Accepts letters,
    /// digits, hyphen and underscore (RFC 1123 §2.1 host names, plus the underscore of service labels, RFC 8552);
    /// anything else, including non-ASCII, is rejected: converting an internationalised name to its A-label form
    /// (RFC 5891) is the caller's job. Escapes such as "\." are not supported.
    /// </summary>
    public static bool TryEncode(string? name, Span<byte> destination, out int length, out DnsNameError error)
    {
        length = 0;
        error = DnsNameError.None;
        if (string.IsNullOrEmpty(name) || name == ".")
        {
            error = DnsNameError.Empty;
            return false;
        }
        ReadOnlySpan<char> text = name.EndsWith('.') ? name.AsSpan(0, name.Length - 1) : name.AsSpan();
        int written = 0;
        int labelStart = 0;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && text[i] != '.')
            {
                char c = text[i];
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'))
                {
                    error = DnsNameError.InvalidCharacter;
                    return false;
                }
                continue;
            }
            int labelLength = i - labelStart;
            if (labelLength == 0)
            {
                error = DnsNameError.EmptyLabel;
                return false;
            }
            if (labelLength > MaxLabelLength)
            {
                error = DnsNameError.LabelTooLong;
                return false;
            }
            if (written + 1 + labelLength + 1 > MaxLength)
            {
                error = DnsNameError.NameTooLong;
                return false;
            }
            if (written + 1 + labelLength + 1 > destination.Length)
            {
                throw new ArgumentException("Destination is shorter than the encoded name.", nameof(destination));
            }
            destination[written++] = (byte)labelLength;
            for (int j = labelStart; j < i; j++)
            {
                destination[written++] = (byte)text[j];
            }
            labelStart = i + 1;
        }
        destination[written++] = 0;
        length = written;
        return true;
    }

    /// <summary>A sentence saying why a name was rejected, for error messages.</summary>
    public static string Describe(DnsNameError error) => error switch
    {
        DnsNameError.None => "the name is valid",
        DnsNameError.Empty => "the name is empty",
        DnsNameError.EmptyLabel => "the name has an empty label (two dots in a row, or a leading dot)",
        DnsNameError.LabelTooLong => "a label is longer than 63 characters (RFC 1035 §2.3.4)",
        DnsNameError.NameTooLong => "the name is longer than 255 octets in wire form (RFC 1035 §2.3.4)",
        DnsNameError.InvalidCharacter =>
            "the name contains a character other than an ASCII letter, digit, hyphen, underscore or dot",
        _ => "the name is invalid",
    };

    /// <summary>
    /// Compares two uncompressed wire-form names. Comparisons are case-insensitive for ASCII letters only
    /// (RFC 1035 §2.3.3, RFC 4343 §3); label length octets (at most 63) never fall in the letter range.
    /// </summary>
    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }
        for (int i = 0; i < a.Length; i++)
        {
            if (FoldCase(a[i]) != FoldCase(b[i]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The textual form of an uncompressed wire-form name, without the trailing dot ("." for the root). Octets that
    /// are not printable, and dots or backslashes inside a label, are escaped as \DDD (RFC 4343 §2.1).
    /// </summary>
    public static string ToText(ReadOnlySpan<byte> wire)
    {
        if (wire.Length == 0 || wire[0] == 0)
        {
            return ".";
        }
        var sb = new StringBuilder(wire.Length);
        int pos = 0;
        while (pos < wire.Length && wire[pos] != 0)
        {
            int len = wire[pos];
            if (pos + 1 + len > wire.Length)
            {
                break;
            }
            if (sb.Length > 0)
            {
                sb.Append('.');
            }
            foreach (byte b in wire.Slice(pos + 1, len))
            {
                if (b is > 0x20 and < 0x7F && b != '.' && b != '\\')
                {
                    sb.Append((char)b);
                }
                else
                {
                    sb.Append('\\').Append(((int)b).ToString("D3", System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            pos += 1 + len;
        }
        return sb.ToString();
    }

    private static byte FoldCase(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;
}
