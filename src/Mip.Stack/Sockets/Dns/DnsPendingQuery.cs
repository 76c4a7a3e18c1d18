using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dns;

/// <summary>One name being looked up, shared by every request for that name, with the attempts made so far.</summary>
internal sealed class DnsPendingQuery
{
    public DnsPendingQuery(string key, byte[] wireName, int maxAttempts)
    {
        Key = key;
        WireName = wireName;
        Attempts = new Attempt[maxAttempts];
    }

    /// <summary>The lower-cased name without trailing dot: the cache and in-flight key.</summary>
    public string Key { get; }

    /// <summary>The query name in uncompressed wire form.</summary>
    public byte[] WireName { get; }

    /// <summary>Request handles waiting for this query.</summary>
    public List<int> Waiters { get; } = [];

    /// <summary>Every attempt sent so far; answers to any of them are accepted, so a slow server still counts.</summary>
    public Attempt[] Attempts { get; }

    public int AttemptsMade { get; set; }

    public Instant Deadline { get; set; }

    /// <summary>Some server answered with a failure (SERVFAIL, REFUSED, ...): if nobody answers better, report that.</summary>
    public bool SawServerFailure { get; set; }

    public int MaxAttempts => Attempts.Length;

    /// <summary>The attempt sent from <paramref name="port"/> (ports are unique among the resolver's attempts).</summary>
    public int FindAttempt(ushort port)
    {
        for (int i = 0; i < AttemptsMade; i++)
        {
            if (Attempts[i].Port == port)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>A query sent: its random ID and source port (RFC 5452 §9.2) and the server asked.</summary>
    internal readonly record struct Attempt(ushort Id, ushort Port, Ipv4Address Server);
}
