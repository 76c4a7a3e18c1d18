using System.CommandLine;
using Mip.Grpc.V1;

namespace Mip.Cli.Commands;

/// <summary><c>mipctl capture</c>: the stack's frames as pcapng, e.g. <c>mipctl capture | tshark -r -</c>.</summary>
internal static class CaptureCommand
{
    public static Command Build()
    {
        var host = new Option<string?>("--host") { Description = "Only frames to or from this address" };
        var port = new Option<int>("--port") { Description = "Only TCP/UDP frames with this port" };
        var protocol = new Option<string?>("--protocol") { Description = "tcp, udp, icmp or arp" };
        var count = new Option<int>("--count", "-c") { Description = "Stop after this many frames (0 = until Ctrl-C)" };
        var write = new Option<string?>("--write", "-w") { Description = "Write to this file instead of stdout" };
        var command = new Command("capture", "Capture the stack's frames as pcapng")
        {
            Options = { host, port, protocol, count, write },
        };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            using var client = Cli.Connect(parse);
            var request = new CaptureRequest
            {
                Host = parse.GetValue(host) ?? "",
                Port = (uint)parse.GetValue(port),
                Protocol = parse.GetValue(protocol) ?? "",
                MaxFrames = (uint)parse.GetValue(count),
            };
            string? path = parse.GetValue(write);
            await using var sink = path is null ? Console.OpenStandardOutput() : File.Create(path);
            using var call = client.Capture.Capture(request, cancellationToken: ct);
            ulong dropped = 0;
            while (await call.ResponseStream.MoveNext(ct))
            {
                var chunk = call.ResponseStream.Current;
                await sink.WriteAsync(chunk.Pcapng.Memory, ct);
                await sink.FlushAsync(ct);
                dropped = chunk.DroppedFrames;
            }
            if (dropped > 0)
            {
                Console.Error.WriteLine($"mipctl: {dropped} frames dropped because the capture was read too slowly");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
