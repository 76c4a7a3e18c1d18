using Mip.Stack.Iface;

namespace Mip.Server.Hosting;

/// <summary>
/// Logs stack events and prints the <c>READY, IP: a.b.c.d</c> line (Mongoose mip-pcap's contract, which scripts and
/// users wait for) each time the interface gets an address.
/// </summary>
internal sealed partial class StackEventLogger(ILogger<StackEventLogger> logger, TextWriter console)
{
    public void OnEvent(StackEvent ev)
    {
        switch (ev)
        {
            case Ipv4Changed { New: { } config }:
                LogConfigured(config.ToString());
                console.WriteLine($"READY, IP: {config.Address}");
                console.Flush();
                break;
            case Ipv4Changed:
                LogDeconfigured();
                break;
            default:
                LogEvent(ev.ToString());
                break;
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "IPv4 configured: {Config}")]
    private partial void LogConfigured(string config);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "IPv4 address removed")]
    private partial void LogDeconfigured();

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "{Event}")]
    private partial void LogEvent(string @event);
}
