using System.CommandLine;
using System.Globalization;
using Mip.Grpc.V1;

namespace Mip.Cli.Commands;

/// <summary><c>mipctl sockets [list]</c> and <c>mipctl sockets kill ID</c>.</summary>
internal static class SocketCommands
{
    public static Command Sockets()
    {
        var list = new Command("list", "List every socket (the default)");
        list.SetAction(ListAsync);
        var id = new Argument<string>("id") { Description = "Socket id from 'mipctl sockets'" };
        var kill = new Command("kill", "Close a socket: TCP connections are reset") { Arguments = { id } };
        kill.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            using var client = Cli.Connect(parse);
            await client.Stack.CloseSocketAsync(new CloseSocketRequest { Id = parse.GetValue(id) }, cancellationToken: ct);
            Console.WriteLine($"closed {parse.GetValue(id)}");
            return ExitCodes.Ok;
        }));
        var command = new Command("sockets", "List the stack's sockets, or kill one") { Subcommands = { list, kill } };
        command.SetAction(ListAsync);
        return command;
    }

    private static Task<int> ListAsync(ParseResult parse, CancellationToken ct) => Cli.RunAsync(async () =>
    {
        using var client = Cli.Connect(parse);
        var table = await client.Stack.ListSocketsAsync(new ListSocketsRequest(), cancellationToken: ct);
        if (parse.GetValue(Cli.Json))
        {
            Output.Json(table);
            return ExitCodes.Ok;
        }
        Output.Table(["ID", "PROTO", "LOCAL", "REMOTE", "STATE", "SENT", "RECEIVED", "SRTT", "OWNER"], table.Sockets.Select(s => new[]
        {
            s.Id, Output.Protocol(s.Protocol), Output.Endpoint(s.Local), Output.Endpoint(s.Remote), s.State.Length == 0 ? "-" : s.State,
            s.BytesSent.ToString(CultureInfo.InvariantCulture), s.BytesReceived.ToString(CultureInfo.InvariantCulture),
            s.SrttUs == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{s.SrttUs / 1000.0:F2}ms"), s.Owner,
        }));
        return ExitCodes.Ok;
    });
}
