using Mip.Stack;
using Mip.Stack.Iface;
using Mip.Stack.Sockets;
using Mip.Stack.Sockets.Dns;
using Mip.Stack.Wire;

namespace Mip.Server.Hosting;

/// <summary>
/// Small bench services that run inside the stack loop: a UDP echo port and names resolved once the interface is
/// configured. They exercise the stack the way a lab user would, and the demo shows their output.
/// </summary>
internal sealed partial class DemoServices(MipOptions options, ILogger<DemoServices> logger)
{
    private readonly byte[] _datagram = new byte[65535];
    private readonly List<(string Name, int Handle)> _pendingResolves = [];
    private UdpSocket? _echo;

    public void OnEvent(NetStack stack, StackEvent ev, Instant now)
    {
        if (ev is Ipv4Changed { New: not null })
        {
            foreach (var name in StackConfiguration.ParseNames(options.ResolveOnReady))
            {
                _pendingResolves.Add((name, stack.Dns.BeginResolve(name, now)));
            }
        }
    }

    public void Poll(NetStack stack, Instant now)
    {
        if (options.UdpEchoPort > 0)
        {
            _echo ??= stack.OpenUdp((ushort)options.UdpEchoPort);
            while (_echo.TryReceiveFrom(_datagram, out int length, out Ipv4Endpoint remote))
            {
                _echo.TrySendTo(_datagram.AsSpan(0, length), remote, now);
            }
        }
        for (int i = _pendingResolves.Count - 1; i >= 0; i--)
        {
            var (name, handle) = _pendingResolves[i];
            if (stack.Dns.TryGetResult(handle, out DnsResult result))
            {
                _pendingResolves.RemoveAt(i);
                LogResolved(name, result.Status.ToString(), string.Join(", ", result.Addresses));
            }
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "DNS {Name}: {Status} [{Addresses}]")]
    private partial void LogResolved(string name, string status, string addresses);
}
