using System.CommandLine;
using System.Net.Sockets;
using Google.Rpc;
using Grpc.Core;
using Mip.Cli.Commands;
using Mip.Client;

namespace Mip.Cli;

/// <summary>The command tree and the options every command shares.</summary>
internal static class Cli
{
    public static readonly Option<string> Server = new("--server")
    {
        Description = "The MipGrpc server (env MIP_SERVER)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MIP_SERVER") ?? "http://127.0.0.1:50051",
        Recursive = true,
    };

    public static readonly Option<string?> Token = new("--token")
    {
        Description = "Bearer token if the server requires one (env MIP_TOKEN)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MIP_TOKEN"),
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print JSON instead of tables (one object per line for streams)",
        Recursive = true,
    };

    public static RootCommand Build()
    {
        var root = new RootCommand("mipctl: talk to a MipGrpc user-space TCP/IP stack")
        {
            Options = { Server, Token, Json },
        };
        foreach (var command in new[]
        {
            StatusCommands.Status(), StatusCommands.Arp(), SocketCommands.Sockets(), EventsCommand.Build(),
            PingCommand.Build(), ResolveCommand.Build(), PipeCommands.Connect(), PipeCommands.Listen(),
            GetCommand.Build(), CaptureCommand.Build(),
        })
        {
            root.Subcommands.Add(command);
        }
        return root;
    }

    public static MipClient Connect(ParseResult parse) =>
        new(parse.GetValue(Server)!, new MipClientOptions { Token = parse.GetValue(Token) });

    /// <summary>The reason the server gives calls it ends because it is stopping (the server went away, exit 3).</summary>
    private const string ServerShuttingDown = "SERVER_SHUTTING_DOWN";

    /// <summary>Runs a command body, turning failures into a message on stderr and a meaningful exit code.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
        {
            // Ctrl-C or SIGTERM cancelled the call (`mipctl events`, `capture`, `listen --keep`): a normal way to stop.
            return ExitCodes.Ok;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && ex.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason == ServerShuttingDown)
        {
            return Fail(ex.Status.Detail, ExitCodes.ServerUnavailable);
        }
        catch (MipSocketException ex) when (ex.Reason == ServerShuttingDown)
        {
            return Fail(ex.Message, ExitCodes.ServerUnavailable);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && ex.GetRpcStatus()?.GetDetail<ErrorInfo>() is null)
        {
            // No ErrorInfo: the transport failed, the server never answered.
            return Fail($"cannot reach the server: {ex.Status.Detail}{(ex.Status.DebugException is { } e ? $" ({e.Message})" : "")}", ExitCodes.ServerUnavailable);
        }
        catch (RpcException ex)
        {
            return Fail(ex.Status.Detail, ex.StatusCode switch
            {
                // The server answered with a reason (DNS_TIMEOUT, HOST_UNREACHABLE ...): the stack's network failed.
                StatusCode.Unavailable or StatusCode.DeadlineExceeded => ExitCodes.NetworkError,
                StatusCode.Unauthenticated or StatusCode.PermissionDenied => ExitCodes.Unauthenticated,
                StatusCode.InvalidArgument => ExitCodes.Usage,
                StatusCode.NotFound => ExitCodes.NotFound,
                _ => ExitCodes.Error,
            });
        }
        catch (MipSocketException ex)
        {
            var inner = (ex.InnerException as RpcException)?.StatusCode;
            return Fail(ex.Message, ex.SocketErrorCode switch
            {
                SocketError.HostNotFound => ExitCodes.NotFound,
                SocketError.AccessDenied => ExitCodes.Unauthenticated,
                SocketError.InvalidArgument => ExitCodes.Usage,
                SocketError.NetworkDown when inner == StatusCode.Unavailable && ex.Reason == "Unavailable" => ExitCodes.ServerUnavailable,
                _ => ExitCodes.NetworkError,
            });
        }
        catch (HttpRequestException ex) when (ex.InnerException is MipSocketException socket)
        {
            return Fail(socket.Message, ExitCodes.NetworkError);
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Ok;
        }
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"mipctl: {message}");
        return code;
    }
}
