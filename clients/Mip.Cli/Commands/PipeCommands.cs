using System.CommandLine;
using Mip.Client;
using Mip.Grpc.V1;

namespace Mip.Cli.Commands;

/// <summary>
/// <c>mipctl connect HOST PORT</c> and <c>mipctl listen PORT</c>: netcat through the stack. Standard input goes to the
/// connection (its end half-closes the connection), what arrives goes to standard output; done when both ends closed.
/// </summary>
internal static class PipeCommands
{
    public static Command Connect()
    {
        var host = new Argument<string>("host") { Description = "Address or DNS name" };
        var port = new Argument<int>("port") { Description = "TCP port" };
        var noDelay = new Option<bool>("--no-delay") { Description = "Disable Nagle's algorithm" };
        var command = new Command("connect", "Open a TCP connection from the stack; stdin -> connection -> stdout")
        {
            Arguments = { host, port },
            Options = { noDelay },
        };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            using var client = Cli.Connect(parse);
            await using var stream = await client.ConnectAsync(parse.GetValue(host)!, parse.GetValue(port),
                new TcpOptions { NoDelay = parse.GetValue(noDelay) }, cancellationToken: ct);
            Console.Error.WriteLine($"mipctl: connected {stream.LocalEndPoint} -> {stream.RemoteEndPoint}");
            await PipeAsync(stream, ct);
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Listen()
    {
        var port = new Argument<int>("port") { Description = "TCP port on the stack (0 = ephemeral)" };
        var keep = new Option<bool>("--keep", "-k") { Description = "Serve connections one after another until Ctrl-C" };
        var command = new Command("listen", "Listen on the stack; each connection: stdin -> connection -> stdout")
        {
            Arguments = { port },
            Options = { keep },
        };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            using var client = Cli.Connect(parse);
            await using var listener = await client.ListenAsync(parse.GetValue(port), cancellationToken: ct);
            Console.Error.WriteLine($"mipctl: listening on {listener.LocalEndPoint}");
            do
            {
                await using var stream = await listener.AcceptAsync(ct);
                Console.Error.WriteLine($"mipctl: accepted {stream.RemoteEndPoint}");
                await PipeAsync(stream, ct);
            }
            while (parse.GetValue(keep) && !ct.IsCancellationRequested);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task PipeAsync(MipTcpStream stream, CancellationToken ct)
    {
        var stdin = Console.OpenStandardInput();
        var stdout = Console.OpenStandardOutput();
        var upload = Task.Run(async () =>
        {
            await stdin.CopyToAsync(stream, 64 * 1024, ct);
            await stream.ShutdownAsync(ct);
        }, ct);
        await stream.CopyToAsync(stdout, 64 * 1024, ct);
        await stdout.FlushAsync(ct);
        await upload;
    }
}
