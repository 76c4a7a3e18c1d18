namespace Mip.Stack.Sockets.Dns;

/// <summary>What the resolver has done, for operators. Monotonic counts since the resolver was created.</summary>
public sealed class DnsResolverCounters
{
    /// <summary>Queries handed to the transport (first attempts and retries).</summary>
    public long QueriesSent { get; internal set; }

    /// <summary>Attempts after the first for a name (after a timeout or a server failure).</summary>
    public long Retries { get; internal set; }

    /// <summary>Attempts that got no acceptable answer in time.</summary>
    public long Timeouts { get; internal set; }

    /// <summary>Queries the transport could not send (no address or route).</summary>
    public long SendFailures { get; internal set; }

    public long CacheHits { get; internal set; }
    public long CacheMisses { get; internal set; }

    /// <summary>Requests that joined an identical query already in flight.</summary>
    public long SharedQueries { get; internal set; }

    /// <summary>Datagrams to a port with no query in flight (a late or unsolicited answer).</summary>
    public long RejectedUnknownPort { get; internal set; }

    /// <summary>Responses whose ID did not match the query sent from that port (RFC 5452 §9.1).</summary>
    public long RejectedBadId { get; internal set; }

    /// <summary>Responses not from the queried server's address and port 53 (RFC 5452 §9.1).</summary>
    public long RejectedWrongSource { get; internal set; }

    /// <summary>Responses whose question section did not echo the query (RFC 5452 §9.1).</summary>
    public long RejectedQuestionMismatch { get; internal set; }

    /// <summary>Datagrams that were not a well-formed DNS response.</summary>
    public long RejectedMalformed { get; internal set; }
}
