namespace Mip.Stack.Sockets.Dns;

/// <summary>Tuning of the stub resolver. Every property has a documented default.</summary>
public sealed class DnsResolverOptions
{
    /// <summary>How long to wait for an answer to one query before trying the next server. Default 2 s.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How many times each server is asked (RFC 1536 §1, RFC 1123 §6.1.3.3: retransmit, spread over servers). The
    /// total number of attempts is this times the number of servers. Default 2.
    /// </summary>
    public int AttemptsPerServer { get; init; } = 2;

    /// <summary>How many names the cache holds; 0 disables caching. Default 256.</summary>
    public int CacheCapacity { get; init; } = 256;

    /// <summary>Answers are cached at least this long, whatever their TTL. Default 0 (a TTL of 0 is not cached,
    /// RFC 1035 §3.2.1).</summary>
    public TimeSpan MinTtl { get; init; } = TimeSpan.Zero;

    /// <summary>Answers are cached at most this long (RFC 8767 §4 suggests capping TTLs). Default 1 day.</summary>
    public TimeSpan MaxTtl { get; init; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Negative answers (NXDOMAIN, NODATA) are cached for min(SOA TTL, SOA MINIMUM) (RFC 2308 §5), at most this
    /// long; without an SOA they are not cached. Default 5 minutes.
    /// </summary>
    public TimeSpan MaxNegativeTtl { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest CNAME chain followed inside one answer; a longer chain (or a loop) fails. Default 8.</summary>
    public int MaxCnameChain { get; init; } = 8;

    /// <summary>
    /// Distinct names looked up at once; further names complete at once as Overloaded (requests for a name already
    /// in flight still join it). Default 64.
    /// </summary>
    public int MaxQueriesInFlight { get; init; } = 64;

    internal void Validate()
    {
        if (MaxQueriesInFlight < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxQueriesInFlight), MaxQueriesInFlight, "Must be at least 1.");
        }
        if (AttemptTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(AttemptTimeout), AttemptTimeout, "Must be positive.");
        }
        if (AttemptsPerServer < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(AttemptsPerServer), AttemptsPerServer, "Must be at least 1.");
        }
        if (CacheCapacity < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CacheCapacity), CacheCapacity, "Must not be negative.");
        }
        if (MinTtl < TimeSpan.Zero || MaxTtl < MinTtl)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTtl), MaxTtl, "Need 0 <= MinTtl <= MaxTtl.");
        }
        if (MaxNegativeTtl < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxNegativeTtl), MaxNegativeTtl, "Must not be negative.");
        }
        if (MaxCnameChain < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxCnameChain), MaxCnameChain, "Must not be negative.");
        }
    }
}
