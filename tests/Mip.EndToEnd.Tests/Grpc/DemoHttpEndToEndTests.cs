using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Mip.EndToEnd.Tests.Lab;

namespace Mip.EndToEnd.Tests.Grpc;

/// <summary>
/// The demo's HTTP server as a gRPC client (clients/Mip.DemoHttp listening on the stack's port 80 through
/// TcpService.Listen/Attach), fetched by curl in the kernel namespace: the whole path, kernel to client and back.
/// </summary>
public sealed class DemoHttpEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Curl_from_the_kernel_gets_pages_bytes_and_sink_hashes_from_the_grpc_served_demo()
    {
        LabNetwork.SkipUnlessRoot();
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var server = TcpServiceEndToEndTests.StartServer(lab, out string stack);
        using var demo = ClientApps.Start("Mip.DemoHttp", "mip-demo-http", "--server", $"http://127.0.0.1:{server.GrpcPort}", "--port", "80");
        Assert.True(demo.WaitForOutput("serving HTTP on", Timeout), demo.Output);

        var page = lab.RunKernel("curl", "-sS", "--max-time", "20", $"http://{stack}/").EnsureSuccess();
        Assert.Contains("Served through gRPC by mip-demo-http", page.Stdout, StringComparison.Ordinal);

        // 24 MiB of the pattern, over one keep-alive connection after a small request.
        const int size = 24 << 20;
        string file = Path.Combine(lab.StateDirectory, "bytes.bin");
        lab.RunKernel("curl", "-sS", "--max-time", "60", "-o", "/dev/null", $"http://{stack}/bytes/10", "-o", file, $"http://{stack}/bytes/{size}").EnsureSuccess();
        var expected = new byte[size];
        for (int i = 0; i < size; i++)
        {
            expected[i] = (byte)(i % 251);
        }
        var got = await File.ReadAllBytesAsync(file, Ct);
        Assert.Equal(size, got.Length);
        Assert.Equal(SHA256.HashData(expected), SHA256.HashData(got));

        // POST /sink: curl sends Expect: 100-continue for a body this size and waits for the 100.
        string upload = Path.Combine(lab.StateDirectory, "upload.bin");
        var body = new byte[9 << 20];
        new Random(21).NextBytes(body);
        await File.WriteAllBytesAsync(upload, body, Ct);
        var watch = Stopwatch.StartNew();
        var sink = lab.RunKernel("curl", "-sS", "--max-time", "60", "--data-binary", $"@{upload}", "-H", "Content-Type: application/octet-stream", $"http://{stack}/sink").EnsureSuccess();
        var json = JsonDocument.Parse(sink.Stdout).RootElement;
        Assert.Equal(body.Length, json.GetProperty("length").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(body)), json.GetProperty("sha256").GetString());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the upload took {watch.Elapsed} (a missing 100 Continue costs curl 1 s)");
    }
}
