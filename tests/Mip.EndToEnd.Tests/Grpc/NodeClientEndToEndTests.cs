using System.Text.Json;
using Mip.EndToEnd.Tests.Lab;
using Mip.EndToEnd.Tests.Tcp;

namespace Mip.EndToEnd.Tests.Grpc;

/// <summary>
/// A Node.js client (@grpc/grpc-js, protos loaded at run time) moves bytes through TcpService.Connect, and reports a
/// failed connect by the ErrorInfo reason the server attached.
/// </summary>
public sealed class NodeClientEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_node_grpc_js_client_echoes_bytes_through_a_kernel_echo_server()
    {
        LabNetwork.SkipUnlessRoot();
        string root = MipServerProcess.RepositoryRoot;
        Assert.True(Directory.Exists(Path.Combine(root, "node_modules/@grpc/grpc-js")), "run scripts/deps.sh (npm ci) first");
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var echo = KernelPeer.Serve(lab, "serve-echo", 7400);
        using var server = TcpServiceEndToEndTests.StartServer(lab);

        const int size = 6 << 20;
        var node = LabNetwork.Execute("node", [Path.Combine(root, "clients/node/tcp-connect.js"), $"http://127.0.0.1:{server.GrpcPort}", "192.168.2.1", "7400", $"{size}"], Timeout).EnsureSuccess();
        var result = JsonDocument.Parse(node.Stdout.Trim()).RootElement;
        Assert.StartsWith("tcp-", result.GetProperty("socketId").GetString(), StringComparison.Ordinal);
        Assert.Equal(size, result.GetProperty("sent").GetInt64());
        Assert.Equal(size, result.GetProperty("received").GetInt64());
        Assert.Equal(result.GetProperty("sentSha256").GetString(), result.GetProperty("receivedSha256").GetString());
        // The sender's pattern hash is independent of the echo: byte i = i mod 251.
        var expected = new byte[size];
        for (int i = 0; i < size; i++)
        {
            expected[i] = (byte)(i % 251);
        }
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(expected)), result.GetProperty("receivedSha256").GetString());
    }

    [Fact]
    public void A_refused_connection_prints_CONNECTION_REFUSED_and_exits_non_zero()
    {
        LabNetwork.SkipUnlessRoot();
        string root = MipServerProcess.RepositoryRoot;
        Assert.True(Directory.Exists(Path.Combine(root, "node_modules/@grpc/grpc-js")), "run scripts/deps.sh (npm ci) first");
        using var lab = LabNetwork.Create();
        lab.StartDnsmasq();
        using var server = TcpServiceEndToEndTests.StartServer(lab);

        // Nothing listens on the kernel's port 9999: it answers the SYN with a RST.
        var node = LabNetwork.Execute("node", [Path.Combine(root, "clients/node/tcp-connect.js"), $"http://127.0.0.1:{server.GrpcPort}", "192.168.2.1", "9999", "1"], Timeout);
        Assert.Equal(1, node.ExitCode);
        Assert.Equal("", node.Stdout);
        Assert.StartsWith("error: UNAVAILABLE CONNECTION_REFUSED: ", node.Stderr, StringComparison.Ordinal);
    }
}
