using System.Diagnostics;
using Mip.EndToEnd.Tests.Lab;

namespace Mip.EndToEnd.Tests.Grpc;

/// <summary>
/// The client programs (mipctl, mip-demo-http) run from their own build output, with their own dependency set: copied
/// next to the test assembly they would load the server's versions of shared packages.
/// </summary>
internal static class ClientApps
{
    public static string Path(string project, string assembly)
    {
        // The tests run from tests/Mip.EndToEnd.Tests/bin/<Configuration>/<tfm>/: the clients share both.
        var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar));
        string configuration = tfm.Parent!.Name;
        string path = System.IO.Path.Combine(MipServerProcess.RepositoryRoot, "clients", project, "bin", configuration, tfm.Name, assembly + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{project} is not built", path);
    }

    /// <summary>Starts <c>dotnet assembly.dll args</c> as a process the test owns.</summary>
    public static LabProcess Start(string project, string assembly, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path(project, assembly));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        return new LabProcess(assembly, string.Join(' ', start.ArgumentList), start);
    }
}
