using Mip.Grpc.V1;
using Mip.Stack.Sockets.Tcp;

namespace Mip.Server.Grpc.Tcp;

/// <summary>Validates the TcpService requests (every problem at once, as BadRequest) and maps the options.</summary>
internal static class TcpArguments
{
    private const int MinBufferBytes = 4 * 1024;
    private const int MaxBufferBytes = 64 * 1024 * 1024;
    private const int MaxBacklog = 4096;
    private const uint DefaultAttachTimeoutMs = 10_000;

    public static void ValidateOpen(ConnectOpen open)
    {
        var violations = new List<FieldViolation>();
        if (string.IsNullOrWhiteSpace(open.Host))
        {
            violations.Add(new FieldViolation("open.host", "required: an IPv4 address or a DNS name"));
        }
        if (open.Port is 0 or > ushort.MaxValue)
        {
            violations.Add(new FieldViolation("open.port", $"must be 1-65535, got {open.Port}"));
        }
        if (open.LocalPort > ushort.MaxValue)
        {
            violations.Add(new FieldViolation("open.local_port", $"must be 0 (ephemeral) or 1-65535, got {open.LocalPort}"));
        }
        ValidateOptions("open.options", open.Options, violations);
        if (violations.Count > 0)
        {
            throw GrpcErrors.InvalidArgument(violations);
        }
    }

    public static void ValidateListen(ListenRequest request)
    {
        var violations = new List<FieldViolation>();
        if (request.Port > ushort.MaxValue)
        {
            violations.Add(new FieldViolation("port", $"must be 0 (ephemeral) or 1-65535, got {request.Port}"));
        }
        if (request.Backlog > MaxBacklog)
        {
            violations.Add(new FieldViolation("backlog", $"at most {MaxBacklog}, got {request.Backlog}"));
        }
        ValidateOptions("options", request.Options, violations);
        if (violations.Count > 0)
        {
            throw GrpcErrors.InvalidArgument(violations);
        }
    }

    public static int Backlog(ListenRequest request) => request.Backlog == 0 ? 128 : (int)request.Backlog;

    public static TimeSpan AttachTimeout(ListenRequest request) =>
        TimeSpan.FromMilliseconds(request.AttachTimeoutMs == 0 ? DefaultAttachTimeoutMs : request.AttachTimeoutMs);

    /// <summary>The stack's options for <paramref name="options"/>; zero fields keep the stack's defaults.</summary>
    public static TcpSocketOptions ToStack(TcpOptions? options, uint connectTimeoutMs = 0)
    {
        var defaults = TcpSocketOptions.Default;
        if (options is null && connectTimeoutMs == 0)
        {
            return defaults;
        }
        options ??= new TcpOptions();
        int receive = options.ReceiveBufferBytes == 0 ? defaults.ReceiveBufferBytes : (int)options.ReceiveBufferBytes;
        return new TcpSocketOptions
        {
            NoDelay = options.NoDelay,
            KeepAlive = options.KeepAlive,
            KeepAliveIdle = options.KeepAliveIdleSeconds == 0 ? defaults.KeepAliveIdle : TimeSpan.FromSeconds(options.KeepAliveIdleSeconds),
            KeepAliveInterval = options.KeepAliveIntervalSeconds == 0 ? defaults.KeepAliveInterval : TimeSpan.FromSeconds(options.KeepAliveIntervalSeconds),
            KeepAliveCount = options.KeepAliveCount == 0 ? defaults.KeepAliveCount : (int)options.KeepAliveCount,
            SendBufferBytes = options.SendBufferBytes == 0 ? defaults.SendBufferBytes : (int)options.SendBufferBytes,
            ReceiveBufferBytes = receive,
            // Auto-tuning may grow an explicit initial size as far as it would the default.
            MaxReceiveBufferBytes = Math.Max(receive, defaults.MaxReceiveBufferBytes),
            UserTimeout = options.UserTimeoutMs == 0 ? defaults.UserTimeout : TimeSpan.FromMilliseconds(options.UserTimeoutMs),
            ConnectTimeout = connectTimeoutMs == 0 ? defaults.ConnectTimeout : TimeSpan.FromMilliseconds(connectTimeoutMs),
        };
    }

    private static void ValidateOptions(string prefix, TcpOptions? options, List<FieldViolation> violations)
    {
        if (options is null)
        {
            return;
        }
        CheckBuffer($"{prefix}.send_buffer_bytes", options.SendBufferBytes, violations);
        CheckBuffer($"{prefix}.receive_buffer_bytes", options.ReceiveBufferBytes, violations);
        if (options.KeepAliveCount > 127)
        {
            violations.Add(new FieldViolation($"{prefix}.keep_alive_count", $"at most 127, got {options.KeepAliveCount}"));
        }
    }

    private static void CheckBuffer(string field, uint value, List<FieldViolation> violations)
    {
        if (value != 0 && value is < MinBufferBytes or > MaxBufferBytes)
        {
            violations.Add(new FieldViolation(field, $"0 (default) or {MinBufferBytes}-{MaxBufferBytes} bytes, got {value}"));
        }
    }
}
