using System.Text;

namespace Mip.Server.Demo;

internal sealed partial class HttpRequestParser
{
    /// <summary>Parses a complete head (request-line and field lines, without the final empty line).</summary>
    private static bool TryParseHead(ReadOnlySpan<byte> head, out HttpRequestHead? parsed, out int status, out string? message)
    {
        parsed = null;
        int lineEnd = head.IndexOf((byte)'\n');
        ReadOnlySpan<byte> requestLine = TrimCr(lineEnd < 0 ? head : head[..lineEnd]);
        ReadOnlySpan<byte> fields = lineEnd < 0 ? [] : head[(lineEnd + 1)..];

        // RFC 9112 §3: request-line = method SP request-target SP HTTP-version.
        int sp1 = requestLine.IndexOf((byte)' ');
        int sp2 = sp1 < 0 ? -1 : requestLine[(sp1 + 1)..].IndexOf((byte)' ');
        if (sp1 <= 0 || sp2 <= 0)
        {
            return Reject(400, "malformed request line", out status, out message);
        }
        sp2 += sp1 + 1;
        var method = requestLine[..sp1];
        var target = requestLine[(sp1 + 1)..sp2];
        var version = requestLine[(sp2 + 1)..];
        if (!IsToken(method))
        {
            return Reject(400, "malformed method", out status, out message);
        }
        if (!TryParseVersion(version, out int minor, out status, out message))
        {
            return false;
        }
        if (!TryOriginForm(target, out string? path))
        {
            return Reject(400, "malformed request target", out status, out message);
        }

        long? contentLength = null;
        bool chunked = false, transferEncoding = false, expectContinue = false, close = false, keepAliveToken = false;
        int hosts = 0;
        while (!fields.IsEmpty)
        {
            int end = fields.IndexOf((byte)'\n');
            var line = TrimCr(end < 0 ? fields : fields[..end]);
            fields = end < 0 ? [] : fields[(end + 1)..];
            if (line[0] is (byte)' ' or (byte)'\t')
            {
                // RFC 9112 §5.2: obs-fold is deprecated; a server may reject it with 400.
                return Reject(400, "obsolete line folding in a header field", out status, out message);
            }
            int colon = line.IndexOf((byte)':');
            // §5.1: no whitespace between the field name and the colon; a server MUST reject it with 400.
            if (colon <= 0 || !IsToken(line[..colon]))
            {
                return Reject(400, "malformed header field name", out status, out message);
            }
            var name = line[..colon];
            var value = TrimOws(line[(colon + 1)..]);
            if (!IsFieldValue(value))
            {
                return Reject(400, "invalid character in a header field value", out status, out message);
            }
            if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
            {
                // §6.3: a list of identical values is one length; differing values are unrecoverable.
                foreach (var range in value.Split((byte)','))
                {
                    if (!TryParseLength(TrimOws(value[range]), out long length) || (contentLength is { } seen && seen != length))
                    {
                        return Reject(400, "invalid Content-Length", out status, out message);
                    }
                    contentLength = length;
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                transferEncoding = true;
                foreach (var range in value.Split((byte)','))
                {
                    var coding = TrimOws(value[range]);
                    if (coding.IsEmpty)
                    {
                        continue;
                    }
                    if (!Ascii.EqualsIgnoreCase(coding, "chunked"u8) || chunked)
                    {
                        // §6.1: a transfer coding the server does not understand SHOULD get 501; chunked must be
                        // last and appear once.
                        return Reject(501, "only Transfer-Encoding: chunked is implemented", out status, out message);
                    }
                    chunked = true;
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "connection"u8))
            {
                foreach (var range in value.Split((byte)','))
                {
                    var option = TrimOws(value[range]);
                    close |= Ascii.EqualsIgnoreCase(option, "close"u8);
                    keepAliveToken |= Ascii.EqualsIgnoreCase(option, "keep-alive"u8);
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "expect"u8))
            {
                // RFC 9110 §10.1.1: 100-continue is the only expectation defined; others get 417.
                if (!Ascii.EqualsIgnoreCase(value, "100-continue"u8))
                {
                    return Reject(417, "unsupported expectation", out status, out message);
                }
                expectContinue = minor >= 1; // a 1.0 client cannot understand 1xx (§10.1.1)
            }
            else if (Ascii.EqualsIgnoreCase(name, "host"u8))
            {
                hosts++;
            }
        }

        // RFC 9112 §3.2: an HTTP/1.1 request without exactly one Host field gets 400.
        if (minor >= 1 && hosts != 1)
        {
            return Reject(400, hosts == 0 ? "missing Host header" : "more than one Host header", out status, out message);
        }
        if (transferEncoding && (contentLength is not null || minor == 0))
        {
            // §6.1: Transfer-Encoding with Content-Length (or in HTTP/1.0) is a smuggling vector; reject it.
            return Reject(400, "Transfer-Encoding with Content-Length or in HTTP/1.0", out status, out message);
        }
        if (transferEncoding && !chunked)
        {
            // §6.3: a request whose final coding is not chunked has no determinable length.
            return Reject(400, "Transfer-Encoding without chunked", out status, out message);
        }

        parsed = new HttpRequestHead
        {
            Method = Encoding.ASCII.GetString(method),
            Target = path!,
            MinorVersion = minor,
            ContentLength = contentLength,
            Chunked = chunked,
            ExpectContinue = expectContinue,
            KeepAlive = !close && (minor >= 1 || keepAliveToken),
        };
        status = 0;
        message = null;
        return true;
    }

    private static bool TryParseVersion(ReadOnlySpan<byte> version, out int minor, out int status, out string? message)
    {
        minor = 0;
        // §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT (case-sensitive).
        if (version.Length != 8 || !version.StartsWith("HTTP/"u8) || version[6] != (byte)'.'
            || !char.IsAsciiDigit((char)version[5]) || !char.IsAsciiDigit((char)version[7]))
        {
            return Reject(400, "malformed HTTP version", out status, out message);
        }
        if (version[5] != (byte)'1')
        {
            // RFC 9110 §15.6.6: 505 for a major version the server does not support.
            return Reject(505, "only HTTP/1.x is supported", out status, out message);
        }
        minor = Math.Min(version[7] - '0', 1); // 1.2+ is treated as the highest minor we implement (§2.5)
        status = 0;
        message = null;
        return true;
    }

    /// <summary>Accepts origin-form (<c>/path?query</c>) and absolute-form (<c>http://host/path</c>, §3.2.2).</summary>
    private static bool TryOriginForm(ReadOnlySpan<byte> target, out string? path)
    {
        path = null;
        foreach (byte b in target)
        {
            if (b <= 0x20 || b >= 0x7f)
            {
                return false;
            }
        }
        if (target.Length >= 7 && Ascii.EqualsIgnoreCase(target[..7], "http://"u8))
        {
            var rest = target[7..];
            int slash = rest.IndexOf((byte)'/');
            target = slash < 0 ? "/"u8 : rest[slash..];
        }
        if (target.IsEmpty || target[0] != (byte)'/')
        {
            // The asterisk-form is only for OPTIONS (§3.2.4); the router answers it like any unknown target.
            if (!target.SequenceEqual("*"u8))
            {
                return false;
            }
            path = "*";
            return true;
        }
        path = Encoding.ASCII.GetString(target);
        return true;
    }

    private static bool TryParseLength(ReadOnlySpan<byte> digits, out long length)
    {
        length = 0;
        if (digits.IsEmpty || digits.Length > 18)
        {
            return false;
        }
        foreach (byte b in digits)
        {
            if (!char.IsAsciiDigit((char)b))
            {
                return false;
            }
            length = (length * 10) + (b - '0');
        }
        return true;
    }

    private static bool Reject(int code, string why, out int status, out string? message)
    {
        status = code;
        message = why;
        return false;
    }

    // RFC 9110 §5.6.2: token = 1*tchar.
    private static bool IsToken(ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty)
        {
            return false;
        }
        foreach (byte b in s)
        {
            bool tchar = char.IsAsciiLetterOrDigit((char)b) || "!#$%&'*+-.^_`|~"u8.Contains(b);
            if (!tchar)
            {
                return false;
            }
        }
        return true;
    }

    // RFC 9110 §5.5: field-value characters are VCHAR, obs-text, SP and HTAB; no other controls.
    private static bool IsFieldValue(ReadOnlySpan<byte> s)
    {
        foreach (byte b in s)
        {
            if ((b < 0x20 && b != (byte)'\t') || b == 0x7f)
            {
                return false;
            }
        }
        return true;
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) =>
        !line.IsEmpty && line[^1] == (byte)'\r' ? line[..^1] : line;

    private static ReadOnlySpan<byte> TrimOws(ReadOnlySpan<byte> s) => s.Trim(" \t"u8);
}
