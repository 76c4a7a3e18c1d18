using Mip.Grpc.V1;

namespace Mip.Server.Grpc;

/// <summary>A validated <see cref="PingRequest"/> with its defaults applied.</summary>
internal sealed record PingArguments(string Host, int Count, TimeSpan Interval, TimeSpan Timeout, int PayloadBytes)
{
    public const int MaxCount = 10_000;
    public const int MaxMilliseconds = 60_000;
    /// <summary>65535 - 20 (IPv4 header) - 8 (ICMP header).</summary>
    public const int MaxPayloadBytes = 65_507;

    /// <summary>Applies the documented defaults to zero fields and checks ranges; every problem is reported at once.</summary>
    public static PingArguments Parse(PingRequest request, out List<FieldViolation> violations)
    {
        violations = [];
        string host = request.Host.Trim();
        if (host.Length == 0)
        {
            violations.Add(new FieldViolation("host", "required: an IPv4 address or a DNS name"));
        }
        else if (host.Length > 253)
        {
            violations.Add(new FieldViolation("host", "a DNS name is at most 253 characters (RFC 1035 §2.3.4)"));
        }
        int count = request.Count == 0 ? 4 : Check(violations, "count", request.Count, 1, MaxCount);
        int interval = request.IntervalMs == 0 ? 1000 : Check(violations, "interval_ms", request.IntervalMs, 1, MaxMilliseconds);
        int timeout = request.TimeoutMs == 0 ? 1000 : Check(violations, "timeout_ms", request.TimeoutMs, 1, MaxMilliseconds);
        // payload_bytes 0 is a real choice (an empty echo) but also proto3's "unset"; the default of 56 wins, as in
        // ping(8). A client that wants no payload cannot ask for it; one byte is the smallest then.
        int payload = request.PayloadBytes == 0 ? 56 : Check(violations, "payload_bytes", request.PayloadBytes, 0, MaxPayloadBytes);
        return new PingArguments(host, count, TimeSpan.FromMilliseconds(interval), TimeSpan.FromMilliseconds(timeout), payload);
    }

    private static int Check(List<FieldViolation> violations, string field, uint value, int min, int max)
    {
        if (value < min || value > max)
        {
            violations.Add(new FieldViolation(field, $"must be {min}-{max}, got {value}"));
        }
        return (int)Math.Min(value, (uint)max);
    }
}
