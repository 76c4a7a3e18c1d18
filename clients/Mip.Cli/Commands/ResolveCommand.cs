using System.CommandLine;

namespace Mip.Cli.Commands;

/// <summary><c>mipctl resolve NAME</c>: the stack's DNS resolver.</summary>
internal static class ResolveCommand
{
    public static Command Build()
    {
        var name = new Argument<string>("name") { Description = "DNS name" };
        var command = new Command("resolve", "Resolve a name with the stack's resolver") { Arguments = { name } };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            using var client = Cli.Connect(parse);
            var response = await client.Stack.ResolveAsync(new Grpc.V1.ResolveRequest { Name = parse.GetValue(name) }, cancellationToken: ct);
            if (parse.GetValue(Cli.Json))
            {
                Output.Json(response);
                return ExitCodes.Ok;
            }
            foreach (var address in response.Addresses)
            {
                Console.WriteLine(address);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
