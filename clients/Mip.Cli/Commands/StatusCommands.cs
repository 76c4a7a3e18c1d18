using System.CommandLine;
using System.Globalization;
using Mip.Grpc.V1;

namespace Mip.Cli.Commands;

/// <summary><c>mipctl status</c> and <c>mipctl arp</c>.</summary>
internal static class StatusCommands
{
    public static Command Status()
    {
        var command = new Command("status", "Show the interface, the IPv4 configuration and the counters");
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            using var client = Cli.Connect(parse);
            var status = await client.Stack.GetStatusAsync(new GetStatusRequest(), cancellationToken: ct);
            if (parse.GetValue(Cli.Json))
            {
                Output.Json(status);
                return ExitCodes.Ok;
            }
            var i = status.Interface;
            Console.WriteLine($"interface  {i.Name}{(i.Netns.Length > 0 ? $" (netns {i.Netns})" : "")}  mac {i.Mac}  mtu {i.MtuBytes}  link {(i.LinkUp ? "up" : "DOWN")}");
            if (status.Ipv4 is { } ip)
            {
                Console.WriteLine($"ipv4       {ip.Address}/{ip.PrefixLength}  gateway {Or(ip.Gateway)}  dns {Or(string.Join(", ", ip.DnsServers))}  ({ip.Source.ToString().ToLowerInvariant()})");
                if (ip.Lease is { } lease)
                {
                    Console.WriteLine($"lease      from {lease.Server} for {lease.LeaseSeconds} s, renews {lease.RenewTime?.ToDateTimeOffset():u}, expires {lease.ExpireTime?.ToDateTimeOffset():u}");
                }
            }
            else
            {
                Console.WriteLine("ipv4       not configured");
            }
            var c = status.Counters;
            Console.WriteLine($"frames     in {c.FramesReceived} ({c.BytesReceived} B)  out {c.FramesSent} ({c.BytesSent} B)  capture drops {c.CaptureDrops}");
            Console.WriteLine($"tcp        segments in {c.TcpSegmentsReceived} out {c.TcpSegmentsSent}  retransmits {Pairs(c.TcpRetransmits)}");
            Console.WriteLine($"udp        datagrams in {c.UdpDatagramsReceived} out {c.UdpDatagramsSent}");
            Console.WriteLine($"drops      {Pairs(c.Drops)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Arp()
    {
        var command = new Command("arp", "Show the stack's ARP table");
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            using var client = Cli.Connect(parse);
            var table = await client.Stack.ListArpEntriesAsync(new ListArpEntriesRequest(), cancellationToken: ct);
            if (parse.GetValue(Cli.Json))
            {
                Output.Json(table);
                return ExitCodes.Ok;
            }
            Output.Table(["ADDRESS", "MAC", "STATE", "AGE"], table.Entries.Select(e => new[]
            {
                e.Address, Or(e.Mac), e.State.ToString().Replace("ArpEntryState", "", StringComparison.Ordinal).ToLowerInvariant(),
                string.Create(CultureInfo.InvariantCulture, $"{e.AgeMs / 1000.0:F1}s"),
            }));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string Or(string s) => s.Length == 0 ? "-" : s;

    // Only the non-zero counts: the retransmit map always carries every cause, mostly zeros.
    private static string Pairs(IDictionary<string, ulong> map) =>
        map.Any(p => p.Value > 0) ? string.Join("  ", map.Where(p => p.Value > 0).Select(p => $"{p.Key}={p.Value}")) : "none";
}
