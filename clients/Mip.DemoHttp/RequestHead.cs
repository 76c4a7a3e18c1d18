namespace Mip.DemoHttp;

/// <summary>A parsed request line and header fields (names lower-cased; RFC 9112 §3 and §5).</summary>
internal sealed class RequestHead
{
    private readonly Dictionary<string, string> _headers = new(StringComparer.Ordinal);

    private RequestHead(string method, string target, string version) => (Method, Target, Version) = (method, target, version);

    public string Method { get; }
    public string Target { get; }
    public string Version { get; }

    /// <summary>The field's value, or "" when absent.</summary>
    public string Header(string lowerCaseName) => _headers.GetValueOrDefault(lowerCaseName, "");

    /// <exception cref="InvalidDataException">The head is not HTTP/1.x.</exception>
    public static RequestHead Parse(string text)
    {
        var lines = text.Split("\r\n");
        var parts = lines[0].Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || parts[1].Length == 0)
        {
            throw new InvalidDataException($"not an HTTP/1.x request line: '{lines[0]}'");
        }
        var head = new RequestHead(parts[0], parts[1], parts[2]);
        foreach (var line in lines.AsSpan(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new InvalidDataException($"malformed header field: '{line}'");
            }
            head._headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
        }
        return head;
    }
}
