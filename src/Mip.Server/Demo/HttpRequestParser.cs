namespace Mip.Server.Demo;

/// <summary>
/// An incremental HTTP/1.1 request parser (RFC 9112): feed it whatever bytes arrived, in pieces of any size, and it
/// reports the head, then the body (Content-Length or chunked, decoded), then the end of the message. Pure: no I/O,
/// no clock, bounded memory (the head is copied into a fixed buffer, the body is handed out as slices of the input).
/// Strict where leniency would let a request be read two ways (request smuggling): bare CR, obs-fold, whitespace
/// before a colon, conflicting lengths, and Content-Length together with Transfer-Encoding are errors.
/// </summary>
internal sealed partial class HttpRequestParser
{
    /// <summary>Default limit on the request line and header fields together (bytes).</summary>
    public const int DefaultMaxHeadBytes = 8 * 1024;

    // Chunk-size lines (with extensions) and the trailer section get the same kind of bound as the head.
    private const int MaxChunkLineBytes = 1024;

    private readonly byte[] _head;
    private int _headLength;
    private int _lineLength;
    private bool _pendingCr;
    private State _state;
    private long _remaining;
    private int _chunkLineBytes;
    private bool _chunkSizeDigits;
    private int _trailerBytes;

    public HttpRequestParser(int maxHeadBytes = DefaultMaxHeadBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHeadBytes, 64);
        _head = new byte[maxHeadBytes];
    }

    private enum State : byte
    {
        Head,
        HeadDone,
        FixedBody,
        ChunkSize,
        ChunkExtension,
        ChunkSizeLf,
        ChunkData,
        ChunkDataCr,
        ChunkDataLf,
        Trailers,
        Done,
        Failed,
    }

    /// <summary>The request head, once <see cref="HttpParseStatus.HeadComplete"/> was returned.</summary>
    public HttpRequestHead? Head { get; private set; }

    /// <summary>The status code to answer a malformed request with (400, 417, 431, 501, 505), 0 while fine.</summary>
    public int ErrorStatusCode { get; private set; }

    /// <summary>Why the request was rejected, for the response body.</summary>
    public string? ErrorMessage { get; private set; }

    /// <summary>Whether no byte of a request has been consumed since the last <see cref="Reset"/> (an idle connection).</summary>
    public bool IsIdle => _state == State.Head && _headLength == 0;

    /// <summary>Whether <see cref="HttpParseStatus.MessageComplete"/> was reached (the whole request is read).</summary>
    public bool IsMessageComplete => _state == State.Done;

    /// <summary>Whether a Content-Length body was read in full, so the next call reports the end without input.</summary>
    public bool IsBodyRead => _state == State.FixedBody && _remaining == 0;

    /// <summary>Body bytes still expected for a Content-Length body.</summary>
    public long RemainingContentLength => _state == State.FixedBody ? _remaining : 0;

    /// <summary>Prepares for the next request on the same connection.</summary>
    public void Reset()
    {
        _headLength = 0;
        _lineLength = 0;
        _pendingCr = false;
        _state = State.Head;
        _remaining = 0;
        _chunkLineBytes = 0;
        _chunkSizeDigits = false;
        _trailerBytes = 0;
        Head = null;
        ErrorStatusCode = 0;
        ErrorMessage = null;
    }

    /// <summary>
    /// Consumes bytes from <paramref name="input"/> until the next event. <paramref name="consumed"/> says how many
    /// bytes were used (pass the rest in the next call); <paramref name="body"/> holds the body piece of a
    /// <see cref="HttpParseStatus.Body"/> result (a slice of <paramref name="input"/>) and is empty otherwise.
    /// </summary>
    public HttpParseStatus Parse(ReadOnlySpan<byte> input, out int consumed, out ReadOnlySpan<byte> body)
    {
        body = default;
        consumed = 0;
        switch (_state)
        {
            case State.Failed:
                return HttpParseStatus.Error;
            case State.Done:
                return HttpParseStatus.MessageComplete;
            case State.Head:
                return ParseHeadBytes(input, out consumed);
            case State.HeadDone:
                _state = Head!.Chunked ? State.ChunkSize : Head.ContentLength > 0 ? State.FixedBody : State.Done;
                _remaining = Head.ContentLength ?? 0;
                return _state == State.Done ? HttpParseStatus.MessageComplete : Parse(input, out consumed, out body);
            case State.FixedBody:
                if (_remaining == 0)
                {
                    _state = State.Done;
                    return HttpParseStatus.MessageComplete;
                }
                if (input.IsEmpty)
                {
                    return HttpParseStatus.NeedMoreData;
                }
                consumed = (int)Math.Min(_remaining, input.Length);
                body = input[..consumed];
                _remaining -= consumed;
                return HttpParseStatus.Body;
            default:
                return ParseChunked(input, out consumed, out body);
        }
    }

    private HttpParseStatus ParseHeadBytes(ReadOnlySpan<byte> input, out int consumed)
    {
        for (int i = 0; i < input.Length; i++)
        {
            byte b = input[i];
            if (_pendingCr && b != (byte)'\n')
            {
                consumed = i + 1;
                return Fail(400, "bare CR in the request head");
            }
            if (b == (byte)'\r')
            {
                _pendingCr = true;
                continue;
            }
            _pendingCr = false;
            if (b == (byte)'\n')
            {
                if (_lineLength == 0)
                {
                    if (_headLength == 0)
                    {
                        // RFC 9112 §2.2: a server SHOULD ignore empty lines received before the request-line.
                        continue;
                    }
                    consumed = i + 1;
                    return CompleteHead();
                }
                _lineLength = 0;
            }
            else
            {
                _lineLength++;
            }
            if (_headLength == _head.Length)
            {
                consumed = i + 1;
                // RFC 6585 §5: the header fields are too large.
                return Fail(431, $"the request head exceeds {_head.Length} bytes");
            }
            _head[_headLength++] = b;
        }
        consumed = input.Length;
        return HttpParseStatus.NeedMoreData;
    }

    private HttpParseStatus CompleteHead()
    {
        if (!TryParseHead(_head.AsSpan(0, _headLength), out var head, out int status, out string? message))
        {
            return Fail(status, message!);
        }
        Head = head;
        _state = State.HeadDone;
        return HttpParseStatus.HeadComplete;
    }

    private HttpParseStatus ParseChunked(ReadOnlySpan<byte> input, out int consumed, out ReadOnlySpan<byte> body)
    {
        // RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk = 1*"0" [ chunk-ext ] CRLF,
        // then the trailer section and a final CRLF.
        body = default;
        int i = 0;
        while (i < input.Length)
        {
            byte b = input[i];
            switch (_state)
            {
                case State.ChunkData:
                    {
                        int n = (int)Math.Min(_remaining, input.Length - i);
                        body = input.Slice(i, n);
                        _remaining -= n;
                        if (_remaining == 0)
                        {
                            _state = State.ChunkDataCr;
                        }
                        consumed = i + n;
                        return HttpParseStatus.Body;
                    }
                case State.ChunkSize:
                    if (++_chunkLineBytes > MaxChunkLineBytes)
                    {
                        consumed = i + 1;
                        return Fail(400, "chunk-size line too long");
                    }
                    int digit = HexValue(b);
                    if (digit >= 0)
                    {
                        if (_remaining > (long.MaxValue >> 4))
                        {
                            consumed = i + 1;
                            return Fail(400, "chunk size overflows");
                        }
                        _remaining = (_remaining << 4) | (uint)digit;
                        _chunkSizeDigits = true;
                    }
                    else if (_chunkSizeDigits && (b == (byte)';' || b == (byte)' ' || b == (byte)'\t'))
                    {
                        _state = State.ChunkExtension; // extensions are ignored (§7.1.1), but bounded
                    }
                    else if (_chunkSizeDigits && b == (byte)'\r')
                    {
                        _state = State.ChunkSizeLf;
                    }
                    else
                    {
                        consumed = i + 1;
                        return Fail(400, "malformed chunk size");
                    }
                    break;
                case State.ChunkExtension:
                    if (++_chunkLineBytes > MaxChunkLineBytes)
                    {
                        consumed = i + 1;
                        return Fail(400, "chunk extension too long");
                    }
                    if (b == (byte)'\r')
                    {
                        _state = State.ChunkSizeLf;
                    }
                    else if (b == (byte)'\n' || b < 0x20 && b != (byte)'\t')
                    {
                        consumed = i + 1;
                        return Fail(400, "malformed chunk extension");
                    }
                    break;
                case State.ChunkSizeLf:
                    if (b != (byte)'\n')
                    {
                        consumed = i + 1;
                        return Fail(400, "chunk-size line not ended by CRLF");
                    }
                    _chunkLineBytes = 0;
                    _chunkSizeDigits = false;
                    _state = _remaining == 0 ? State.Trailers : State.ChunkData;
                    _lineLength = 0;
                    _pendingCr = false;
                    break;
                case State.ChunkDataCr:
                    if (b != (byte)'\r')
                    {
                        consumed = i + 1;
                        return Fail(400, "chunk data longer than its size");
                    }
                    _state = State.ChunkDataLf;
                    break;
                case State.ChunkDataLf:
                    if (b != (byte)'\n')
                    {
                        consumed = i + 1;
                        return Fail(400, "chunk data not ended by CRLF");
                    }
                    _state = State.ChunkSize;
                    break;
                case State.Trailers:
                    // Trailer fields are not used; they end with an empty line (§7.1.2). Bounded like the head.
                    if (++_trailerBytes > _head.Length)
                    {
                        consumed = i + 1;
                        return Fail(431, "trailer section too large");
                    }
                    if (_pendingCr && b != (byte)'\n')
                    {
                        consumed = i + 1;
                        return Fail(400, "bare CR in the trailer section");
                    }
                    if (b == (byte)'\r')
                    {
                        _pendingCr = true;
                    }
                    else if (b == (byte)'\n')
                    {
                        _pendingCr = false;
                        if (_lineLength == 0)
                        {
                            _state = State.Done;
                            consumed = i + 1;
                            return HttpParseStatus.MessageComplete;
                        }
                        _lineLength = 0;
                    }
                    else
                    {
                        _lineLength++;
                    }
                    break;
            }
            i++;
        }
        consumed = input.Length;
        return HttpParseStatus.NeedMoreData;
    }

    private HttpParseStatus Fail(int status, string message)
    {
        _state = State.Failed;
        ErrorStatusCode = status;
        ErrorMessage = message;
        return HttpParseStatus.Error;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
