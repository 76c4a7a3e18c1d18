using System.Diagnostics;

namespace Mip.EndToEnd.Tests.Grpc;

/// <summary>
/// A gRPC client in another process (`buf curl` streaming one call, request messages on its standard input), so a
/// test can kill it with SIGKILL and watch the server free what the client held.
/// </summary>
internal static class BufCurl
{
    /// <summary>Starts a streaming call of <paramref name="method"/> (e.g. "mip.v1.UdpService/Open").</summary>
    public static Process Start(int grpcPort, string method)
    {
        string root = MipServerProcess.RepositoryRoot;
        // The native binary, not the node shim in .bin: killing the shim would leave the real client running.
        var start = new ProcessStartInfo(Path.Combine(root, "node_modules/@bufbuild/buf-linux-x64/bin/buf"))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (var a in (string[])["curl", "--http2-prior-knowledge", "--protocol", "grpc", "--schema", "protos", "-d", "@-",
                     $"http://127.0.0.1:{grpcPort}/{method}"])
        {
            start.ArgumentList.Add(a);
        }
        return Process.Start(start)!;
    }
}
