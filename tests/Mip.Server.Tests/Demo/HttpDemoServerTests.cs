using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Mip.Server.Demo;
using Mip.Stack;
using Mip.Stack.Iface;
using Mip.Stack.Phy;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Server.Tests.Demo;

/// <summary>
/// The demo server on one stack, a raw TCP client on another, over an in-memory cable on fake time: what goes over
/// the wire is exactly what curl would send and see.
/// </summary>
public sealed class HttpDemoServerTests
{
    private static readonly Ipv4Address ServerIp = Ipv4Address.Parse("192.168.2.10");
    private static readonly Ipv4Address ClientIp = Ipv4Address.Parse("192.168.2.1");
    private static readonly Ipv4Address Mask = Ipv4Address.MaskFromPrefix(24);

    private readonly InMemoryLink _link = new(1500, 1 << 16);
    private readonly NetStack _server;
    private readonly NetStack _client;
    private readonly HttpDemoServer _http;
    private Instant _now = Instant.FromSeconds(10);

    public HttpDemoServerTests()
    {
        _server = new NetStack(_link.B, new StackOptions { Mac = MacAddress.Parse("02:00:00:00:00:02"), StaticIpv4 = new(ServerIp, Mask, Ipv4Address.Any, []) }, new Random(2), _now);
        _client = new NetStack(_link.A, new StackOptions { Mac = MacAddress.Parse("02:00:00:00:00:01"), StaticIpv4 = new(ClientIp, Mask, Ipv4Address.Any, []) }, new Random(1), _now);
        _http = new HttpDemoServer(new HttpDemoOptions { Port = 80, MaxConnections = 2 }, NullLogger<HttpDemoServer>.Instance);
    }

    [Fact]
    public void Status_page_names_the_stack()
    {
        var c = Connect();
        string response = Exchange(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", untilText: "http bytes");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response, StringComparison.Ordinal);
        Assert.Contains("02:00:00:00:00:02", response, StringComparison.Ordinal);
        Assert.Contains("192.168.2.10", response, StringComparison.Ordinal);
        Assert.Contains("tcp sockets", response, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_are_streamed_as_i_mod_251_and_the_connection_is_kept_for_the_next_request()
    {
        var c = Connect();
        const int N = 3_000_000;
        byte[] body = ReadResponseBody(c, $"GET /bytes/{N} HTTP/1.1\r\nHost: x\r\n\r\n", out string head);
        Assert.Contains($"Content-Length: {N}\r\n", head, StringComparison.Ordinal);
        Assert.Equal(N, body.Length);
        for (int i = 0; i < N; i++)
        {
            if (body[i] != (byte)(i % 251))
            {
                Assert.Fail($"byte {i} is {body[i]}, expected {i % 251}");
            }
        }
        // Keep-alive: a second request on the same connection.
        byte[] second = ReadResponseBody(c, "GET /bytes/10 HTTP/1.1\r\nHost: x\r\n\r\n", out _);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (byte)i), second);
        Assert.Equal(TcpState.Established, c.State);
    }

    [Fact]
    public void Sink_answers_100_continue_then_the_sha256_and_length_of_the_body()
    {
        var c = Connect();
        byte[] payload = new byte[1_000_003];
        new Random(5).NextBytes(payload);
        Send(c, Encoding.ASCII.GetBytes($"POST /sink HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: {payload.Length}\r\n\r\n"));
        string interim = ReadUntil(c, "\r\n\r\n");
        Assert.Equal("HTTP/1.1 100 Continue\r\n\r\n", interim);
        Send(c, payload);
        string response = ReadUntil(c, "}\n");
        string hex = Convert.ToHexStringLower(SHA256.HashData(payload));
        Assert.Contains($"{{\"length\":{payload.Length},\"sha256\":\"{hex}\"}}", response, StringComparison.Ordinal);
    }

    [Fact]
    public void Chunked_upload_to_the_sink_is_hashed_decoded()
    {
        var c = Connect();
        string response = Exchange(c, "POST /sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", untilText: "}\n");
        Assert.Contains($"\"length\":5,\"sha256\":\"{Convert.ToHexStringLower(SHA256.HashData("abcde"u8))}\"", response, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 Not Found")]
    [InlineData("DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 405 Method Not Allowed")]
    [InlineData("GET /sink HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 405 Method Not Allowed")]
    [InlineData("GET /bytes/12x HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400 Bad Request")]
    [InlineData("GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request")]
    [InlineData("POST /sink HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999\r\n\r\n", "HTTP/1.1 413 Content Too Large")]
    public void Errors_have_their_status_and_a_body_that_says_why(string request, string statusLine)
    {
        var c = Connect();
        string response = Exchange(c, request, untilText: "\n", afterHead: true);
        Assert.StartsWith(statusLine + "\r\n", response, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/plain", response, StringComparison.Ordinal);
        Assert.Contains(statusLine["HTTP/1.1 ".Length..] + ": ", response, StringComparison.Ordinal);
    }

    [Fact]
    public void Connection_close_is_honoured_with_our_FIN_after_the_response()
    {
        var c = Connect();
        string response = Exchange(c, "GET /bytes/5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", untilText: "\u0004");
        Assert.Contains("Connection: close\r\n", response, StringComparison.Ordinal);
        RunUntil(() => c.IsReceiveFinished, "the server's FIN");
        c.Close();
        RunUntil(() => _http.OpenConnections == 0, "the server to forget the connection");
    }

    [Fact]
    public void Connections_beyond_the_limit_are_reset()
    {
        var a = Connect();
        var b = Connect();
        var third = _client.ConnectTcp(new Ipv4Endpoint(ServerIp, 80), _now);
        RunUntil(() => third.State == TcpState.Closed, "the third connection to be reset");
        Assert.Equal(TcpError.ConnectionReset, third.Error);
        Assert.Equal(1, _http.ConnectionsRejected);
        Assert.Equal(TcpState.Established, a.State);
        Assert.Equal(TcpState.Established, b.State);
    }

    private TcpSocket Connect()
    {
        var socket = _client.ConnectTcp(new Ipv4Endpoint(ServerIp, 80), _now);
        RunUntil(() => socket.State == TcpState.Established && _http.ConnectionsAccepted > 0, "the connection");
        return socket;
    }

    private void Send(TcpSocket c, ReadOnlySpan<byte> data)
    {
        int offset = 0;
        byte[] copy = data.ToArray();
        RunUntil(() =>
        {
            offset += c.Send(copy.AsSpan(offset));
            return offset == copy.Length;
        }, "the request to be queued");
    }

    private string Exchange(TcpSocket c, string request, string untilText, bool afterHead = false)
    {
        Send(c, Encoding.ASCII.GetBytes(request));
        string head = ReadUntil(c, "\r\n\r\n");
        return afterHead || untilText == "\u0004" ? head + ReadAvailable(c) : head + ReadUntil(c, untilText);
    }

    private byte[] ReadResponseBody(TcpSocket c, string request, out string head)
    {
        Send(c, Encoding.ASCII.GetBytes(request));
        head = ReadUntil(c, "\r\n\r\n");
        int at = head.IndexOf("Content-Length: ", StringComparison.Ordinal) + "Content-Length: ".Length;
        int length = int.Parse(head[at..head.IndexOf('\r', at)], System.Globalization.CultureInfo.InvariantCulture);
        var body = new byte[length];
        int got = 0;
        RunUntil(() =>
        {
            got += c.Receive(body.AsSpan(got));
            return got == length;
        }, $"{length} body bytes");
        return body;
    }

    /// <summary>Reads one byte at a time until the text read ends with <paramref name="terminator"/> (heads are short).</summary>
    private string ReadUntil(TcpSocket c, string terminator)
    {
        var text = new StringBuilder();
        var one = new byte[1];
        RunUntil(() =>
        {
            while (!text.ToString().EndsWith(terminator, StringComparison.Ordinal) && c.Receive(one) == 1)
            {
                text.Append((char)one[0]);
            }
            return text.ToString().EndsWith(terminator, StringComparison.Ordinal);
        }, $"'{terminator.ReplaceLineEndings("\\n")}' after '{text}'");
        return text.ToString();
    }

    private string ReadAvailable(TcpSocket c)
    {
        Step();
        var buffer = new byte[65536];
        int n = c.Receive(buffer);
        return Encoding.ASCII.GetString(buffer, 0, n);
    }

    private void Step()
    {
        _client.Poll(_now);
        _server.Poll(_now);
        _http.Poll(_server, _now);
        _server.Poll(_now);
        _client.Poll(_now);
    }

    /// <summary>Runs both stacks (and the server's poll hook) on fake time until <paramref name="done"/>, at most 60 simulated seconds.</summary>
    private void RunUntil(Func<bool> done, string what)
    {
        var deadline = _now + TimeSpan.FromSeconds(60);
        while (true)
        {
            Step();
            if (done())
            {
                return;
            }
            if (_link.A.Pending > 0 || _link.B.Pending > 0)
            {
                continue;
            }
            var next = Instant.Min(_client.NextPollAt(_now), _server.NextPollAt(_now));
            _now = next > _now ? next : _now + TimeSpan.FromMilliseconds(1);
            if (_now > deadline)
            {
                throw new TimeoutException($"no {what} within 60 simulated seconds");
            }
        }
    }
}
