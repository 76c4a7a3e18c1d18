namespace Mip.Stack.Iface;

/// <summary>A token bucket on stack time, used to rate-limit ICMP error messages (RFC 1122 §3.2.2, RFC 1812 §4.3.2.8).</summary>
internal sealed class TokenBucket
{
    private readonly int _capacity;
    private readonly TimeSpan _refillInterval;
    private int _tokens;
    private Instant _lastRefill;

    public TokenBucket(int capacity, TimeSpan refillInterval, Instant now)
    {
        _capacity = capacity;
        _refillInterval = refillInterval;
        _tokens = capacity;
        _lastRefill = now;
    }

    public bool TryTake(Instant now)
    {
        if (now > _lastRefill)
        {
            long earned = (now - _lastRefill).Ticks / _refillInterval.Ticks;
            if (earned > 0)
            {
                _tokens = (int)Math.Min(_capacity, _tokens + earned);
                _lastRefill += TimeSpan.FromTicks(earned * _refillInterval.Ticks);
            }
        }
        if (_tokens == 0)
        {
            return false;
        }
        _tokens--;
        return true;
    }
}
