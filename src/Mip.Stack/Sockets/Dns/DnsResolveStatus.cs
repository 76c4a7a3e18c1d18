namespace Mip.Stack.Sockets.Dns;

/// <summary>How a name resolution ended.</summary>
public enum DnsResolveStatus : byte
{
    /// <summary>At least one IPv4 address was found (possibly at the end of a CNAME chain).</summary>
    Success = 0,

    /// <summary>The name does not exist: NXDOMAIN (RFC 1035 §4.1.1 RCODE 3; RFC 2308 §2.1).</summary>
    NameNotFound,

    /// <summary>The name exists but has no A records (RFC 2308 §2.2 "NODATA").</summary>
    NoData,

    /// <summary>No server answered within the configured attempts.</summary>
    Timeout,

    /// <summary>No usable DNS server is configured.</summary>
    NoServers,

    /// <summary>Every server that answered reported a failure (SERVFAIL, REFUSED, ...) or gave an unusable answer.</summary>
    ServerFailure,

    /// <summary>The name is not a valid host name; <see cref="DnsResult.Detail"/> says why.</summary>
    InvalidName,

    /// <summary>The caller cancelled the request.</summary>
    Cancelled,

    /// <summary>The answer was truncated (TC bit) and held no usable address; retrying over TCP is not implemented.</summary>
    Truncated,

    /// <summary>
    /// Too many distinct names were being looked up at once (<see cref="DnsResolverOptions.MaxQueriesInFlight"/>);
    /// the bound keeps a flood of requests from exhausting memory and source ports.
    /// </summary>
    Overloaded,
}
