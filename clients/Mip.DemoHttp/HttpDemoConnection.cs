using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Mip.Client;

namespace Mip.DemoHttp;

/// <summary>
/// One HTTP/1.1 connection (RFC 9112): requests read one after another (keep-alive unless "Connection: close"),
/// <c>GET /</c> a status page, <c>GET /bytes/N</c> N bytes where byte i = i mod 251, <c>POST /sink</c> the body's
/// SHA-256 and length as JSON, answering <c>Expect: 100-continue</c> first (RFC 9110 §10.1.1).
/// </summary>
internal sealed class HttpDemoConnection(MipTcpStream stream, DemoHttpServer server)
{
    private const int MaxHeadBytes = 16 * 1024;
    private const int Modulus = 251;
    private const long MaxGeneratedBytes = 1L << 40;
    private static readonly byte[] Pattern = BuildPattern();

    private readonly byte[] _buffer = new byte[MaxHeadBytes];
    private int _start;
    private int _end;

    public async Task RunAsync(CancellationToken ct)
    {
        while (await ReadHeadAsync(ct).ConfigureAwait(false) is { } head)
        {
            server.CountRequest();
            bool keepAlive = await HandleAsync(head, ct).ConfigureAwait(false);
            if (!keepAlive)
            {
                return;
            }
        }
    }

    private async Task<bool> HandleAsync(RequestHead head, CancellationToken ct)
    {
        bool keepAlive = !head.Header("connection").Equals("close", StringComparison.OrdinalIgnoreCase) && head.Version == "HTTP/1.1";
        long contentLength = 0;
        if (head.Header("transfer-encoding").Length > 0)
        {
            await RespondAsync(411, "Length Required", "send the body with Content-Length\n", false, ct).ConfigureAwait(false);
            return false;
        }
        if (head.Header("content-length") is { Length: > 0 } cl && !long.TryParse(cl, NumberStyles.None, CultureInfo.InvariantCulture, out contentLength))
        {
            await RespondAsync(400, "Bad Request", "invalid Content-Length\n", false, ct).ConfigureAwait(false);
            return false;
        }
        if (head.Method == "POST" && head.Target == "/sink")
        {
            if (head.Header("expect").Equals("100-continue", StringComparison.OrdinalIgnoreCase))
            {
                await stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), ct).ConfigureAwait(false);
            }
            var (length, sha) = await SinkAsync(contentLength, ct).ConfigureAwait(false);
            await RespondAsync(200, "OK", string.Create(CultureInfo.InvariantCulture, $"{{\"length\":{length},\"sha256\":\"{sha}\"}}\n"), keepAlive, ct, "application/json").ConfigureAwait(false);
            return keepAlive;
        }
        // Any other request's body is read and discarded so the next request starts where it should.
        await SinkAsync(contentLength, ct).ConfigureAwait(false);
        bool headOnly = head.Method == "HEAD";
        if (head.Method is not ("GET" or "HEAD"))
        {
            await RespondAsync(405, "Method Not Allowed", "GET, HEAD, or POST /sink\n", keepAlive, ct).ConfigureAwait(false);
            return keepAlive;
        }
        if (head.Target == "/")
        {
            await RespondAsync(200, "OK", server.StatusText(), keepAlive, ct, headOnly: headOnly).ConfigureAwait(false);
            return keepAlive;
        }
        if (head.Target.StartsWith("/bytes/", StringComparison.Ordinal))
        {
            if (!long.TryParse(head.Target.AsSpan("/bytes/".Length), NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n > MaxGeneratedBytes)
            {
                await RespondAsync(400, "Bad Request", "the length in /bytes/N must be a decimal number of bytes\n", keepAlive, ct).ConfigureAwait(false);
                return keepAlive;
            }
            await WriteHeadAsync(200, "OK", "application/octet-stream", n, keepAlive, ct).ConfigureAwait(false);
            if (!headOnly)
            {
                for (long position = 0; position < n;)
                {
                    int chunk = (int)Math.Min(n - position, 64 * 1024);
                    await stream.WriteAsync(Pattern.AsMemory((int)(position % Modulus), chunk), ct).ConfigureAwait(false);
                    position += chunk;
                }
            }
            return keepAlive;
        }
        await RespondAsync(404, "Not Found", $"no {head.Target} here: try /, /bytes/N or POST /sink\n", keepAlive, ct).ConfigureAwait(false);
        return keepAlive;
    }

    private async Task<(long Length, string Sha256)> SinkAsync(long length, CancellationToken ct)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long left = length;
        // Bytes already read past the head belong to the body.
        int buffered = (int)Math.Min(left, _end - _start);
        sha.AppendData(_buffer, _start, buffered);
        _start += buffered;
        left -= buffered;
        var block = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (left > 0)
            {
                int n = await stream.ReadAsync(block.AsMemory(0, (int)Math.Min(block.Length, left)), ct).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new InvalidDataException($"the body ended {left} bytes short of its Content-Length");
                }
                sha.AppendData(block, 0, n);
                left -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
        return (length, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    /// <summary>The next request head, or null at a clean end of stream between requests.</summary>
    private async Task<RequestHead?> ReadHeadAsync(CancellationToken ct)
    {
        while (true)
        {
            int end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                var head = RequestHead.Parse(Encoding.ASCII.GetString(_buffer, _start, end));
                _start += end + 4;
                return head;
            }
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                throw new InvalidDataException($"request head over {MaxHeadBytes} bytes");
            }
            int n = await stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            if (n == 0)
            {
                return _end == 0 ? null : throw new InvalidDataException("the connection ended inside a request head");
            }
            _end += n;
        }
    }

    private async Task RespondAsync(int status, string reason, string body, bool keepAlive, CancellationToken ct,
        string contentType = "text/plain; charset=utf-8", bool headOnly = false)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        await WriteHeadAsync(status, reason, contentType, bytes.Length, keepAlive, ct).ConfigureAwait(false);
        if (!headOnly)
        {
            await stream.WriteAsync(bytes, ct).ConfigureAwait(false);
        }
    }

    private Task WriteHeadAsync(int status, string reason, string contentType, long length, bool keepAlive, CancellationToken ct) =>
        stream.WriteAsync(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"HTTP/1.1 {status} {reason}\r\nServer: mip-demo-http\r\nContent-Type: {contentType}\r\nContent-Length: {length}\r\n" +
            $"Connection: {(keepAlive ? "keep-alive" : "close")}\r\n\r\n")), ct).AsTask();

    private static byte[] BuildPattern()
    {
        var pattern = new byte[64 * 1024 + Modulus];
        for (int k = 0; k < pattern.Length; k++)
        {
            pattern[k] = (byte)(k % Modulus);
        }
        return pattern;
    }
}
