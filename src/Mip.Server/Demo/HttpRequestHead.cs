namespace Mip.Server.Demo;

/// <summary>
/// The parts of a parsed HTTP/1.1 request head the demo server acts on (RFC 9112). Header fields it does not use
/// are validated for syntax and then dropped, so a request costs a few small strings, never a header dictionary.
/// </summary>
internal sealed record HttpRequestHead
{
    public required string Method { get; init; }

    /// <summary>The request-target as sent (origin-form, e.g. <c>/bytes/100</c>).</summary>
    public required string Target { get; init; }

    /// <summary>The minor version of HTTP/1.x: 0 or 1.</summary>
    public required int MinorVersion { get; init; }

    /// <summary>Declared body length; null when there is no Content-Length (then the body is chunked or empty).</summary>
    public long? ContentLength { get; init; }

    /// <summary>Transfer-Encoding: chunked (RFC 9112 §7.1).</summary>
    public bool Chunked { get; init; }

    /// <summary>The client waits for <c>100 Continue</c> before sending the body (RFC 9110 §10.1.1).</summary>
    public bool ExpectContinue { get; init; }

    /// <summary>
    /// Whether the connection persists after this exchange: HTTP/1.1 unless "Connection: close", HTTP/1.0 only with
    /// "Connection: keep-alive" (RFC 9112 §9.3).
    /// </summary>
    public required bool KeepAlive { get; init; }

    /// <summary>Whether a body follows the head (a Content-Length above zero, or chunked).</summary>
    public bool HasBody => Chunked || ContentLength > 0;
}
