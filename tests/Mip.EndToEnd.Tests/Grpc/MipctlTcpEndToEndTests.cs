using System.Diagnostics;
using System.Security.Cryptography;
using Mip.EndToEnd.Tests.Lab;
using Mip.EndToEnd.Tests.Tcp;

namespace Mip.EndToEnd.Tests.Grpc;

/// <summary>mipctl connect and mipctl get as processes, through the server to kernel peers.</summary>
public sealed class MipctlTcpEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Mipctl_connect_pipes_stdin_to_a_kernel_echo_server_and_its_answer_to_stdout()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var echo = KernelPeer.Serve(lab, "serve-echo", 7300);
        using var server = TcpServiceEndToEndTests.StartServer(lab);

        var input = new byte[3 << 20];
        new Random(17).NextBytes(input);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])[ClientApps.Path("Mip.Cli", "mipctl"), "--server", $"http://127.0.0.1:{server.GrpcPort}", "connect", "192.168.2.1", "7300"])
        {
            start.ArgumentList.Add(a);
        }
        using var mipctl = Process.Start(start)!;
        var stderr = mipctl.StandardError.ReadToEndAsync(Ct);
        var output = new MemoryStream();
        var read = mipctl.StandardOutput.BaseStream.CopyToAsync(output, Ct);
        await mipctl.StandardInput.BaseStream.WriteAsync(input, Ct);
        mipctl.StandardInput.Close(); // end of stdin: mipctl half-closes, the kernel echo server echoes the rest and closes
        await read.WaitAsync(Timeout, Ct);
        await mipctl.WaitForExitAsync(Ct).WaitAsync(Timeout, Ct);
        Assert.True(mipctl.ExitCode == 0, await stderr);
        Assert.Contains("mipctl: connected", await stderr, StringComparison.Ordinal);
        Assert.Equal(SHA256.HashData(input), SHA256.HashData(output.ToArray()));
        Assert.Equal(input.Length, KernelPeer.Result(echo, Timeout).GetProperty("echoed").GetInt64());
    }

    [Fact]
    public async Task Mipctl_get_downloads_a_file_from_a_kernel_http_server()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        string dir = Path.Combine(lab.StateDirectory, "www");
        Directory.CreateDirectory(dir);
        var body = new byte[5 << 20];
        new Random(4).NextBytes(body);
        await File.WriteAllBytesAsync(Path.Combine(dir, "f.bin"), body, Ct);
        var web = lab.Start(lab.KernelNamespace, "http.server", "python3", "-u", "-m", "http.server", "8080", "--bind", "192.168.2.1", "--directory", dir);
        Assert.True(web.WaitForOutput("Serving HTTP", Timeout), web.Output);
        using var server = TcpServiceEndToEndTests.StartServer(lab);

        string file = Path.Combine(lab.StateDirectory, "got.bin");
        using var get = ClientApps.Start("Mip.Cli", "mipctl", "--server", $"http://127.0.0.1:{server.GrpcPort}", "get", "http://192.168.2.1:8080/f.bin", "-o", file);
        Assert.True(get.WaitForExit(Timeout), get.Output);
        Assert.True(get.ExitCode == 0, get.Output);
        Assert.Equal(SHA256.HashData(body), SHA256.HashData(await File.ReadAllBytesAsync(file, Ct)));
    }
}
