using System.CommandLine;
using System.Globalization;

namespace Mip.Cli.Commands;

/// <summary><c>mipctl ping HOST</c>: ICMP echo from the stack, printed like iputils ping.</summary>
internal static class PingCommand
{
    public static Command Build()
    {
        var host = new Argument<string>("host") { Description = "Address or DNS name" };
        var count = new Option<int>("--count", "-c") { Description = "Requests to send", DefaultValueFactory = _ => 4 };
        var interval = new Option<double>("--interval", "-i") { Description = "Seconds between requests", DefaultValueFactory = _ => 1.0 };
        var size = new Option<int>("--size", "-s") { Description = "Payload bytes", DefaultValueFactory = _ => 56 };
        var command = new Command("ping", "Ping a host from the stack") { Arguments = { host }, Options = { count, interval, size } };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            using var client = Cli.Connect(parse);
            string target = parse.GetValue(host)!;
            int sent = 0, received = 0;
            var rtts = new List<double>();
            await foreach (var reply in client.PingAsync(target, parse.GetValue(count), TimeSpan.FromSeconds(parse.GetValue(interval)), parse.GetValue(size), ct))
            {
                sent++;
                if (parse.GetValue(Cli.Json))
                {
                    Output.Json(reply);
                }
                if (reply.Replied)
                {
                    received++;
                    rtts.Add(reply.RttUs / 1000.0);
                    if (!parse.GetValue(Cli.Json))
                    {
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"reply from {reply.From}: seq={reply.Sequence} ttl={reply.Ttl} time={reply.RttUs / 1000.0:F3} ms"));
                    }
                }
                else if (!parse.GetValue(Cli.Json))
                {
                    string why = reply.Error.Length > 0 ? reply.Error : "(timeout)";
                    Console.WriteLine("no reply: seq=" + reply.Sequence.ToString(CultureInfo.InvariantCulture) + " " + why);
                }
            }
            if (!parse.GetValue(Cli.Json))
            {
                double loss = sent == 0 ? 0 : 100.0 * (sent - received) / sent;
                string summary = string.Create(CultureInfo.InvariantCulture, $"--- {target}: {sent} sent, {received} received, {loss:F0}% loss");
                if (rtts.Count > 0)
                {
                    summary += string.Create(CultureInfo.InvariantCulture, $", rtt min/avg/max {rtts.Min():F3}/{rtts.Average():F3}/{rtts.Max():F3} ms");
                }
                Console.WriteLine(summary);
            }
            return received == sent ? ExitCodes.Ok : ExitCodes.PacketLoss;
        }));
        return command;
    }
}
