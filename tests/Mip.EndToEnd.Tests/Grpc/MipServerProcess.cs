using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using Mip.EndToEnd.Tests.Lab;

namespace Mip.EndToEnd.Tests.Grpc;

/// <summary>
/// The real mip-server executable on a lab's my0 (through --netns), its gRPC and metrics endpoints on free loopback
/// ports of the test's namespace. Killed on dispose; every wait is bounded.
/// </summary>
internal sealed class MipServerProcess : IDisposable
{
    private readonly LabProcess _process;

    public MipServerProcess(LabNetwork lab, string? token = null, params string[] extraArgs)
    {
        GrpcPort = FreePort();
        MetricsPort = FreePort();
        string server = Path.Combine(AppContext.BaseDirectory, "mip-server.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])[server, "--interface", LabNetwork.StackInterface, "--netns", lab.StackNamespace,
                     "--grpc-port", $"{GrpcPort}", "--metrics-port", $"{MetricsPort}", .. extraArgs])
        {
            start.ArgumentList.Add(a);
        }
        if (token is not null)
        {
            start.Environment["MIP_TOKEN"] = token;
        }
        _process = new LabProcess("mip-server", string.Join(' ', start.ArgumentList), start);
        if (!_process.WaitForOutput("Now listening on: http://127.0.0.1:" + GrpcPort, TimeSpan.FromSeconds(30)))
        {
            throw new InvalidOperationException($"mip-server did not start listening:\n{_process.Output}");
        }
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{GrpcPort}", new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Insecure,
        });
    }

    public int GrpcPort { get; }
    public int MetricsPort { get; }
    public int ProcessId => _process.Id;
    public GrpcChannel Channel { get; }
    public string Output => _process.Output;

    /// <summary>
    /// Sends SIGTERM (what systemd and docker stop send) and waits for the exit; false if the server is still running
    /// after <paramref name="timeout"/>.
    /// </summary>
    public bool Terminate(TimeSpan timeout)
    {
        LabNetwork.Execute("kill", ["-TERM", $"{_process.Id}"], TimeSpan.FromSeconds(5)).EnsureSuccess();
        return _process.WaitForExit(timeout);
    }

    public bool WaitForOutput(string text, TimeSpan timeout) => _process.WaitForOutput(text, timeout);

    /// <summary>Metadata carrying a bearer token.</summary>
    public static Metadata Bearer(string token) => new() { { "authorization", $"Bearer {token}" } };

    public void Dispose()
    {
        Channel.Dispose();
        _process.Dispose();
    }

    /// <summary>A port the kernel just handed out and released: free now, and unlikely to be reused in the next second.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The repository root (holds MipGrpc.sln), for protos and node tooling.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "MipGrpc.sln")))
                {
                    return dir.FullName;
                }
            }
            throw new InvalidOperationException("MipGrpc.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
