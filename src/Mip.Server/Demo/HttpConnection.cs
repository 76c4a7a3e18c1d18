using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Mip.Stack;
using Mip.Stack.Iface;
using Mip.Stack.Sockets.Tcp;

namespace Mip.Server.Demo;

/// <summary>
/// One client of the <see cref="HttpDemoServer"/>: reads a request, answers it, repeats while the connection is kept
/// alive. Requests are handled one at a time: while a response is being written nothing more is read, so a client
/// that pipelines is held back by TCP's receive window rather than by our memory.
/// </summary>
internal sealed class HttpConnection : IDisposable
{
    private const int ReceiveBufferBytes = 16 * 1024;
    private const int SendBufferBytes = 8 * 1024;

    private readonly HttpDemoServer _server;
    private readonly TcpSocket _socket;
    private readonly HttpRequestParser _parser = new();
    private readonly byte[] _rx = new byte[ReceiveBufferBytes];
    private readonly byte[] _tx = new byte[SendBufferBytes];
    private int _rxStart, _rxEnd, _txStart, _txEnd;
    private long _streamPosition, _streamRemaining;
    private IncrementalHash? _sinkHash;
    private long _sinkLength;
    private bool _sinking;
    private bool _keepAlive = true;
    private bool _closing;
    private Instant _lastActivity;
    private Instant _lingerSince;

    public HttpConnection(HttpDemoServer server, TcpSocket socket, Instant now)
    {
        _server = server;
        _socket = socket;
        _lastActivity = now;
    }

    /// <summary>Moves what it can; false once the connection is finished and can be forgotten.</summary>
    public bool Process(NetStack stack, Instant now)
    {
        if (_socket.State == TcpState.Closed)
        {
            return false;
        }
        if (_socket.State is TcpState.TimeWait)
        {
            return false; // both FINs exchanged: the stack finishes TIME-WAIT without us
        }
        while (true)
        {
            if (!Flush(now))
            {
                break; // the send buffer is full; ACKs will make room and wake the loop
            }
            if (_closing)
            {
                return Linger(now);
            }
            if (_parser.Head is { } head && !_sinking && (_parser.IsMessageComplete || !head.HasBody || !_keepAlive))
            {
                // The response is queued in full (Flush returned true) and the request is read (or will not be).
                FinishExchange(now);
                continue;
            }
            if (_rxStart == _rxEnd && _sinking && _parser.IsBodyRead)
            {
                // The last body byte came in an earlier read: completing the message needs no more input.
                Consume(stack, now);
                continue;
            }
            if (_rxStart == _rxEnd)
            {
                _rxStart = 0;
                _rxEnd = _socket.Receive(_rx);
                if (_rxEnd == 0)
                {
                    if (_socket.IsReceiveFinished)
                    {
                        // The client half-closed between requests (or mid-request: nothing to answer then).
                        StartClose(now);
                        continue;
                    }
                    if (_parser.IsIdle && _streamRemaining == 0 && now - _lastActivity > _server.Options.IdleTimeout)
                    {
                        StartClose(now);
                        continue;
                    }
                    break;
                }
                _lastActivity = now;
            }
            if (!Consume(stack, now))
            {
                break;
            }
        }
        return true;
    }

    /// <summary>Writes pending head bytes, then the generated body. True when everything queued went out.</summary>
    private bool Flush(Instant now)
    {
        while (_txStart < _txEnd)
        {
            int n = _socket.Send(_tx.AsSpan(_txStart, _txEnd - _txStart));
            if (n == 0)
            {
                return false;
            }
            _txStart += n;
            _lastActivity = now;
        }
        _txStart = _txEnd = 0;
        while (_streamRemaining > 0)
        {
            int n = _socket.Send(HttpDemoServer.PatternAt(_streamPosition, _streamRemaining));
            if (n == 0)
            {
                return false;
            }
            _streamPosition += n;
            _streamRemaining -= n;
            _server.BytesGenerated += n;
            _lastActivity = now;
        }
        return true;
    }

    /// <summary>Feeds buffered input to the parser. False when it must wait (a response is in progress).</summary>
    private bool Consume(NetStack stack, Instant now)
    {
        // While an answer is being written, the next request waits (in our buffer, then in TCP's window).
        if (!_sinking && _parser.Head is not null)
        {
            return false;
        }
        var status = _parser.Parse(_rx.AsSpan(_rxStart, _rxEnd - _rxStart), out int consumed, out var body);
        _rxStart += consumed;
        switch (status)
        {
            case HttpParseStatus.HeadComplete:
                OnHead(_parser.Head!, stack, now);
                return true;
            case HttpParseStatus.Body:
                if (_sinking)
                {
                    _sinkHash!.AppendData(body);
                    _sinkLength += body.Length;
                    _server.BytesSunk += body.Length;
                }
                return true;
            case HttpParseStatus.MessageComplete:
                if (_sinking)
                {
                    _sinking = false;
                    string hex = Convert.ToHexStringLower(_sinkHash!.GetHashAndReset());
                    WriteResponse(200, "OK", "application/json",
                        string.Create(CultureInfo.InvariantCulture, $"{{\"length\":{_sinkLength},\"sha256\":\"{hex}\"}}\n"));
                }
                return true;
            case HttpParseStatus.Error:
                _keepAlive = false;
                WriteError(_parser.ErrorStatusCode, _parser.ErrorMessage!);
                StartClose(now);
                return true;
            default:
                return true; // NeedMoreData: all buffered input was taken
        }
    }

    private void OnHead(HttpRequestHead head, NetStack stack, Instant now)
    {
        _keepAlive = head.KeepAlive;
        string path = head.Target;
        int query = path.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            path = path[..query];
        }
        bool get = head.Method is "GET" or "HEAD";
        bool headOnly = head.Method == "HEAD";

        if (path == "/sink")
        {
            if (head.Method is not ("POST" or "PUT"))
            {
                MethodNotAllowed("POST, PUT", head);
                return;
            }
            if (head.ContentLength > _server.Options.MaxSinkBytes)
            {
                // RFC 9110 §15.5.14: too large; close rather than read what we refused.
                _keepAlive = false;
                WriteError(413, string.Create(CultureInfo.InvariantCulture, $"the sink takes at most {_server.Options.MaxSinkBytes} bytes"));
                return;
            }
            if (head.ExpectContinue && head.HasBody)
            {
                // RFC 9110 §10.1.1: tell the client to go ahead instead of making it wait out its timer.
                Append("HTTP/1.1 100 Continue\r\n\r\n");
            }
            _sinking = true;
            _sinkLength = 0;
            _sinkHash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            return;
        }

        if (head.HasBody)
        {
            // Only the sink takes a body; rather than read one we will not use, answer and close.
            _keepAlive = false;
        }
        if (path == "/")
        {
            if (!get)
            {
                MethodNotAllowed("GET, HEAD", head);
                return;
            }
            WriteResponse(200, "OK", "text/plain; charset=utf-8", HttpStatusPage.Render(stack, _server, now), headOnly);
        }
        else if (path.StartsWith("/bytes/", StringComparison.Ordinal))
        {
            if (!get)
            {
                MethodNotAllowed("GET, HEAD", head);
                return;
            }
            if (!long.TryParse(path.AsSpan("/bytes/".Length), NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            {
                WriteError(400, "the length in /bytes/N must be a decimal number of bytes");
                return;
            }
            if (n > _server.Options.MaxGeneratedBytes)
            {
                WriteError(400, string.Create(CultureInfo.InvariantCulture, $"at most {_server.Options.MaxGeneratedBytes} bytes per request"));
                return;
            }
            WriteHead(200, "OK", "application/octet-stream", n);
            _streamPosition = 0;
            _streamRemaining = headOnly ? 0 : n;
        }
        else
        {
            WriteError(404, $"no resource at {path}; try /, /bytes/N or POST /sink");
        }
    }

    private void MethodNotAllowed(string allow, HttpRequestHead head)
    {
        if (head.HasBody)
        {
            _keepAlive = false;
        }
        // RFC 9110 §15.5.6: a 405 lists the methods the target supports.
        WriteError(405, $"{head.Method} is not allowed here; use {allow}", $"Allow: {allow}\r\n");
    }

    /// <summary>The exchange is over (request read, response queued): next request, or close.</summary>
    private void FinishExchange(Instant now)
    {
        _server.RequestsServed++;
        if (!_keepAlive)
        {
            StartClose(now);
            return;
        }
        _parser.Reset();
    }

    private void WriteError(int status, string message, string extraHeaders = "") =>
        WriteResponse(status, ReasonPhrase(status), "text/plain; charset=utf-8", $"{status} {ReasonPhrase(status)}: {message}\n", false, extraHeaders);

    private void WriteResponse(int status, string reason, string contentType, string body, bool headOnly = false, string extraHeaders = "")
    {
        int length = Encoding.UTF8.GetByteCount(body);
        WriteHead(status, reason, contentType, length, extraHeaders);
        if (!headOnly)
        {
            Append(body);
        }
    }

    private void WriteHead(int status, string reason, string contentType, long contentLength, string extraHeaders = "") =>
        Append(string.Create(CultureInfo.InvariantCulture,
            $"HTTP/1.1 {status} {reason}\r\nServer: mip\r\nContent-Type: {contentType}\r\nContent-Length: {contentLength}\r\n" +
            $"{extraHeaders}{(_keepAlive ? "" : "Connection: close\r\n")}\r\n"));

    private void Append(string text)
    {
        // Heads, errors and the status page are small; a page too big for the buffer is cut (and says so).
        int room = _tx.Length - _txEnd;
        if (Encoding.UTF8.GetByteCount(text) > room)
        {
            text = text[..Math.Min(text.Length, room)];
        }
        _txEnd += Encoding.UTF8.GetBytes(text, _tx.AsSpan(_txEnd));
    }

    private void StartClose(Instant now)
    {
        _closing = true;
        _lingerSince = now;
    }

    /// <summary>
    /// Lingering close (RFC 9112 §9.6): send our FIN after the response, keep reading and discarding until the
    /// client's FIN, so unread input does not make our close a reset that destroys the response in flight.
    /// </summary>
    private bool Linger(Instant now)
    {
        if (_socket.CanSend)
        {
            _socket.Shutdown();
        }
        while (_socket.Receive(_rx) > 0)
        {
        }
        if (_socket.IsReceiveFinished)
        {
            _socket.Close();
            return false;
        }
        if (now - _lingerSince > _server.Options.LingerTimeout)
        {
            _socket.Abort();
            return false;
        }
        return true;
    }

    private static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        417 => "Expectation Failed",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    };

    public void Dispose() => _sinkHash?.Dispose();
}
