using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dns;

// Sending attempts, timeouts and completion.
public sealed partial class DnsResolver
{
    /// <summary>Source ports come from the IANA dynamic range (RFC 6335 §6, RFC 6056 §3.2).</summary>
    public const ushort EphemeralPortFirst = 49152;
    public const ushort EphemeralPortLast = 65535;

    /// <summary>The earliest time <see cref="Poll"/> has work; <see cref="Instant.MaxValue"/> when idle.</summary>
    public Instant NextDeadline
    {
        get
        {
            var next = Instant.MaxValue;
            foreach (var query in _inFlight.Values)
            {
                next = Instant.Min(next, query.Deadline);
            }
            return next;
        }
    }

    /// <summary>Handles attempts whose time is up: the next attempt goes to the next server, or the query fails.</summary>
    internal void Poll(Instant now)
    {
        _due.Clear();
        foreach (var query in _inFlight.Values)
        {
            if (query.Deadline <= now)
            {
                _due.Add(query);
            }
        }
        foreach (var query in _due)
        {
            Counters.Timeouts++;
            Advance(query, now);
        }
        _due.Clear();
    }

    /// <summary>Sends the next attempt, or completes the query once all attempts are spent.</summary>
    private void Advance(DnsPendingQuery query, Instant now)
    {
        if (query.AttemptsMade < query.MaxAttempts)
        {
            SendAttempt(query, now);
            return;
        }
        var status = query.SawServerFailure ? DnsResolveStatus.ServerFailure : DnsResolveStatus.Timeout;
        string detail = query.SawServerFailure
            ? "every DNS server that answered reported a failure"
            : $"no answer after {query.AttemptsMade} attempts";
        Complete(query, DnsResult.Failed(status, query.Key, detail));
    }

    private void SendAttempt(DnsPendingQuery query, Instant now)
    {
        int usable = CountUsableServers();
        if (usable == 0)
        {
            // The servers went away (e.g. the DHCP lease was lost) while the query was in flight.
            Complete(query, DnsResult.Failed(DnsResolveStatus.NoServers, query.Key, "no DNS server is configured"));
            return;
        }
        // Round robin over the servers in order of preference, each asked AttemptsPerServer times in all
        // (RFC 1123 §6.1.3.3, RFC 1536 §1). The list is read each time because DHCP may change it.
        var server = UsableServer(query.AttemptsMade % usable);
        // RFC 5452 §9.2 / §4: a fresh random ID and a fresh random source port for every query sent, so an
        // off-path attacker must guess about 30 bits to forge an answer.
        ushort id = (ushort)_random.Next(0x1_0000);
        if (!TryPickFreePort(out ushort port))
        {
            Complete(query, DnsResult.Failed(DnsResolveStatus.Overloaded, query.Key, "no free source port"));
            return;
        }

        Span<byte> payload = stackalloc byte[DnsQuery.BufferLength(query.WireName.Length)];
        int length = DnsQuery.Emit(payload, id, query.WireName, DnsRecordType.A);

        if (query.AttemptsMade > 0)
        {
            Counters.Retries++;
        }
        query.Attempts[query.AttemptsMade++] = new DnsPendingQuery.Attempt(id, port, server);
        _byPort.Add(port, query);
        query.Deadline = now + _options.AttemptTimeout;
        if (_transport.SendQuery(payload[..length], server, port))
        {
            Counters.QueriesSent++;
        }
        else
        {
            // Not sendable now (no address or route): let the attempt time out like a lost datagram rather than
            // burn the remaining attempts in a tight loop.
            Counters.SendFailures++;
        }
    }

    private bool TryPickFreePort(out ushort port)
    {
        // MaxQueriesInFlight keeps the ports in use far below the 16384 candidates, so a random pick almost always
        // succeeds at once; the scan from a random start afterwards only guarantees that this ends.
        const int Range = EphemeralPortLast - EphemeralPortFirst + 1;
        for (int i = 0; i < 8; i++)
        {
            port = (ushort)(EphemeralPortFirst + _random.Next(Range));
            if (!_byPort.ContainsKey(port))
            {
                return true;
            }
        }
        int start = _random.Next(Range);
        for (int i = 0; i < Range; i++)
        {
            port = (ushort)(EphemeralPortFirst + (start + i) % Range);
            if (!_byPort.ContainsKey(port))
            {
                return true;
            }
        }
        port = 0;
        return false;
    }

    /// <summary>Servers other than 0.0.0.0 (DHCP servers pad their lists with it).</summary>
    private int CountUsableServers()
    {
        int count = 0;
        foreach (var server in _transport.Servers)
        {
            if (!server.IsAny)
            {
                count++;
            }
        }
        return count;
    }

    private Ipv4Address UsableServer(int index)
    {
        foreach (var server in _transport.Servers)
        {
            if (!server.IsAny && index-- == 0)
            {
                return server;
            }
        }
        throw new InvalidOperationException("Server index out of range.");
    }

    /// <summary>Delivers <paramref name="result"/> to every waiting request and forgets the query.</summary>
    private void Complete(DnsPendingQuery query, DnsResult result)
    {
        foreach (int handle in query.Waiters)
        {
            if (_requests.TryGetValue(handle, out var request))
            {
                request.Result = result with { Name = request.Name };
                request.Query = null;
            }
        }
        query.Waiters.Clear();
        Retire(query);
    }

    /// <summary>Releases the query's ports; answers arriving later are counted as for an unknown port.</summary>
    private void Retire(DnsPendingQuery query)
    {
        for (int i = 0; i < query.AttemptsMade; i++)
        {
            _byPort.Remove(query.Attempts[i].Port);
        }
        _inFlight.Remove(query.Key);
    }
}
