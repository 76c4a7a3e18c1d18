namespace Mip.Server.Demo;

/// <summary>Limits of the demo HTTP server; each bounds memory or work per connection.</summary>
internal sealed record HttpDemoOptions
{
    /// <summary>TCP port on the stack's address. 0 = the server is off.</summary>
    public ushort Port { get; init; } = 80;

    /// <summary>Open connections at most; beyond, new ones are reset at once (no queueing, bounded memory).</summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>Largest <c>/bytes/N</c> answered (1 TiB): the body is generated, never stored, so N costs only time.</summary>
    public long MaxGeneratedBytes { get; init; } = 1L << 40;

    /// <summary>Largest body <c>POST /sink</c> accepts (1 TiB); hashed as it arrives, never stored. Above: 413.</summary>
    public long MaxSinkBytes { get; init; } = 1L << 40;

    /// <summary>A keep-alive connection with no request for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>After our FIN, how long we keep reading (and discarding) for the client's, before a reset (RFC 9112 §9.6).</summary>
    public TimeSpan LingerTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
