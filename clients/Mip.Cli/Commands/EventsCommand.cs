using System.CommandLine;
using Mip.Grpc.V1;

namespace Mip.Cli.Commands;

/// <summary><c>mipctl events</c>: the current state, then every change, until Ctrl-C.</summary>
internal static class EventsCommand
{
    public static Command Build()
    {
        var kinds = new Option<EventKind[]>("--kind")
        {
            Description = "Only these kinds: link, address, dhcp, arp, socket (repeatable)",
            CustomParser = r => [.. r.Tokens.Select(t => Enum.Parse<EventKind>(t.Value, ignoreCase: true))],
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("events", "Follow the stack's events (a snapshot of the current state first)") { Options = { kinds } };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            using var client = Cli.Connect(parse);
            bool json = parse.GetValue(Cli.Json);
            await foreach (var ev in client.WatchEventsAsync(parse.GetValue(kinds), ct))
            {
                if (json)
                {
                    Output.Json(ev);
                    continue;
                }
                string when = ev.Time?.ToDateTimeOffset().ToLocalTime().ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture) ?? "";
                Console.WriteLine($"{when} {(ev.Snapshot ? "=" : "+")} {Describe(ev)}");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string Describe(WatchEventsResponse ev) => ev.EventCase switch
    {
        WatchEventsResponse.EventOneofCase.SnapshotComplete => "-- live from here --",
        WatchEventsResponse.EventOneofCase.Link => $"link {(ev.Link.Up ? "up" : "down")}",
        WatchEventsResponse.EventOneofCase.Address => ev.Address.Ipv4 is { } ip
            ? $"address {ip.Address}/{ip.PrefixLength}{(ip.Gateway.Length > 0 ? $" gateway {ip.Gateway}" : "")} ({ip.Source.ToString().ToLowerInvariant()})"
            : "address none",
        WatchEventsResponse.EventOneofCase.Dhcp => $"dhcp {ev.Dhcp.Kind.ToString().ToLowerInvariant()} {ev.Dhcp.Address} {ev.Dhcp.Reason}".TrimEnd(),
        WatchEventsResponse.EventOneofCase.Arp => $"arp {ev.Arp.Kind.ToString().ToLowerInvariant()} {ev.Arp.Entry?.Address} {ev.Arp.Entry?.Mac}",
        WatchEventsResponse.EventOneofCase.Socket => DescribeSocket(ev.Socket),
        _ => ev.ToString(),
    };

    private static string DescribeSocket(SocketEvent ev)
    {
        var s = ev.Socket ?? new SocketInfo();
        string remote = s.Remote is null ? "" : $" -> {Output.Endpoint(s.Remote)}";
        string why = ev.Error.Length > 0 ? $" ({ev.Error})" : "";
        return $"socket {ev.Kind.ToString().ToLowerInvariant()} {s.Id} {Output.Protocol(s.Protocol)} {Output.Endpoint(s.Local)}{remote}{why}";
    }
}
