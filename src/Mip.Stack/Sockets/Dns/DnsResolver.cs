using Mip.Stack.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dns;

/// <summary>
/// A stub resolver (RFC 1034 §5.3.1, RFC 1123 §6.1.3.1): asks the configured recursive servers for A records over
/// UDP, retries across servers, follows CNAME chains inside an answer and caches positive and negative answers.
/// Polled like every part of the stack: <see cref="BeginResolve"/> starts a request and returns a handle,
/// <see cref="OnDatagram"/> feeds responses, <see cref="Poll"/> drives timeouts at <see cref="NextDeadline"/>, and
/// <see cref="TryGetResult"/> collects the outcome. Every completed handle must be collected once (or it stays).
/// Single-threaded; no clock, no shared randomness.
/// </summary>
public sealed partial class DnsResolver : IStackComponent
{
    /// <summary>Servers listen on port 53 (RFC 1035 §4.2.1).</summary>
    public const ushort ServerPort = 53;

    private readonly IDnsTransport _transport;
    private readonly DnsResolverOptions _options;
    private readonly Random _random;
    private readonly DnsCache _cache;
    private readonly Dictionary<int, Request> _requests = [];
    private readonly Dictionary<string, DnsPendingQuery> _inFlight = new(StringComparer.Ordinal);
    private readonly Dictionary<ushort, DnsPendingQuery> _byPort = [];
    private readonly List<DnsPendingQuery> _due = [];
    private int _lastHandle;

    internal DnsResolver(IDnsTransport transport, DnsResolverOptions options, Random random)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        options.Validate();
        _transport = transport;
        _options = options;
        _random = random;
        _cache = new DnsCache(options.CacheCapacity);
    }

    public DnsResolverCounters Counters { get; } = new();

    /// <summary>Names (distinct) being looked up now.</summary>
    public int QueriesInFlight => _inFlight.Count;

    /// <summary>Entries in the cache, live or not yet purged.</summary>
    public int CachedNames => _cache.Count;

    /// <summary>
    /// Starts resolving <paramref name="name"/> to IPv4 addresses and returns a handle for
    /// <see cref="TryGetResult"/>. Invalid names, dotted-quad literals, "localhost" and cache hits complete at once;
    /// a name already being looked up joins that query instead of sending another.
    /// </summary>
    public int BeginResolve(string name, Instant now)
    {
        int handle = NewHandle();
        var request = new Request(name ?? string.Empty);
        _requests.Add(handle, request);

        if (name is null)
        {
            request.Result = DnsResult.Failed(DnsResolveStatus.InvalidName, string.Empty, DnsName.Describe(DnsNameError.Empty));
            return handle;
        }
        if (Ipv4Address.TryParse(name, out var literal))
        {
            request.Result = new DnsResult(DnsResolveStatus.Success, name, name, [literal], TimeSpan.Zero, Ipv4Address.Any);
            return handle;
        }
        Span<byte> wire = stackalloc byte[DnsName.MaxLength];
        if (!DnsName.TryEncode(name, wire, out int wireLength, out var error))
        {
            request.Result = DnsResult.Failed(DnsResolveStatus.InvalidName, name, DnsName.Describe(error));
            return handle;
        }
        string key = Normalize(name);
        if (key == "localhost" || key.EndsWith(".localhost", StringComparison.Ordinal))
        {
            // RFC 6761 §6.3: resolvers answer localhost names with loopback themselves, never asking a server.
            request.Result = new DnsResult(DnsResolveStatus.Success, name, key, [new Ipv4Address(127, 0, 0, 1)],
                TimeSpan.Zero, Ipv4Address.Any);
            return handle;
        }
        if (HasNumericTopLabel(key))
        {
            request.Result = DnsResult.Failed(DnsResolveStatus.InvalidName, name,
                "the top-level label is all digits, which no host name has (RFC 1123 §2.1, RFC 3696 §2)");
            return handle;
        }
        if (_cache.TryGet(key, now, out var cached, out var remaining))
        {
            Counters.CacheHits++;
            request.Result = cached with { Name = name, Ttl = remaining, FromCache = true };
            return handle;
        }
        Counters.CacheMisses++;
        if (_inFlight.TryGetValue(key, out var shared))
        {
            Counters.SharedQueries++;
            shared.Waiters.Add(handle);
            request.Query = shared;
            return handle;
        }
        if (_inFlight.Count >= _options.MaxQueriesInFlight)
        {
            request.Result = DnsResult.Failed(DnsResolveStatus.Overloaded, name,
                $"{_inFlight.Count} names are already being looked up");
            return handle;
        }
        int servers = CountUsableServers();
        if (servers == 0)
        {
            request.Result = DnsResult.Failed(DnsResolveStatus.NoServers, name, "no DNS server is configured");
            return handle;
        }
        var query = new DnsPendingQuery(key, wire[..wireLength].ToArray(), servers * _options.AttemptsPerServer);
        query.Waiters.Add(handle);
        request.Query = query;
        _inFlight.Add(key, query);
        SendAttempt(query, now);
        return handle;
    }

    /// <summary>
    /// Returns false while the request is pending (or the handle is unknown). Once it returns true the handle is
    /// freed and must not be used again.
    /// </summary>
    public bool TryGetResult(int handle, out DnsResult result)
    {
        if (_requests.TryGetValue(handle, out var request) && request.Result is { } done)
        {
            _requests.Remove(handle);
            result = done;
            return true;
        }
        result = null!;
        return false;
    }

    /// <summary>
    /// Stops waiting on a pending request: it completes as Cancelled (collect it with <see cref="TryGetResult"/>).
    /// The query itself stops when no other request shares it. A completed or unknown handle is left as it is.
    /// </summary>
    public void Cancel(int handle)
    {
        if (!_requests.TryGetValue(handle, out var request) || request.Result is not null)
        {
            return;
        }
        if (request.Query is { } query)
        {
            query.Waiters.Remove(handle);
            if (query.Waiters.Count == 0)
            {
                Retire(query);
            }
            request.Query = null;
        }
        request.Result = DnsResult.Failed(DnsResolveStatus.Cancelled, request.Name);
    }

    /// <summary>Empties the cache (e.g. when the DNS servers change). Queries in flight go on.</summary>
    public void Flush() => _cache.Flush();

    /// <summary>True when <paramref name="port"/> is the source port of a query in flight: route its datagrams here.</summary>
    public bool OwnsPort(ushort port) => _byPort.ContainsKey(port);

    private int NewHandle()
    {
        do
        {
            _lastHandle = _lastHandle == int.MaxValue ? 1 : _lastHandle + 1;
        }
        while (_requests.ContainsKey(_lastHandle));
        return _lastHandle;
    }

    private static string Normalize(string name)
    {
        // Names compare case-insensitively in ASCII only (RFC 4343 §3); TryEncode has already rejected non-ASCII.
        string trimmed = name.EndsWith('.') ? name[..^1] : name;
        return trimmed.ToLowerInvariant();
    }

    private static bool HasNumericTopLabel(string key)
    {
        int lastDot = key.LastIndexOf('.');
        foreach (char c in key.AsSpan(lastDot + 1))
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        // Only multi-label names: a single all-digit label is unusual but not forbidden by the wire format.
        return lastDot >= 0;
    }

    private sealed class Request(string name)
    {
        public string Name { get; } = name;
        public DnsPendingQuery? Query { get; set; }
        public DnsResult? Result { get; set; }
    }

    void IStackComponent.Poll(Instant now) => Poll(now);
}
