using System.Text.Json;
using Mip.EndToEnd.Tests.Lab;

namespace Mip.EndToEnd.Tests.Tcp;

/// <summary>Runs tcp_peer.py in the lab's kernel namespace and reads its one-line JSON result.</summary>
internal static class KernelPeer
{
    public static string Script => Path.Combine(AppContext.BaseDirectory, "tcp_peer.py");

    /// <summary>Starts a listening mode and returns once the socket is bound.</summary>
    public static LabProcess Serve(LabNetwork lab, string mode, int port, params string[] extra)
    {
        var process = lab.Start(lab.KernelNamespace, mode, ["python3", Script, mode, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. extra]);
        Assert.True(process.WaitForOutput("listening", TimeSpan.FromSeconds(10)), process.Output);
        return process;
    }

    public static LabProcess Start(LabNetwork lab, string mode, params string[] args) =>
        lab.Start(lab.KernelNamespace, mode, ["python3", Script, mode, .. args]);

    /// <summary>Waits for the process to end and parses the JSON line it printed last.</summary>
    public static JsonElement Result(LabProcess process, TimeSpan timeout)
    {
        Assert.True(process.WaitForExit(timeout), $"{process.Name} still running after {timeout}: {process.Output}");
        string line = process.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{')) ??
            throw new InvalidOperationException($"{process.Name} printed no result (exit {process.ExitCode}): {process.Output}");
        return JsonDocument.Parse(line).RootElement.Clone();
    }
}
