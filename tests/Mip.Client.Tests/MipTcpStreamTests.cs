using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Mip.Grpc.V1;

namespace Mip.Client.Tests;

public sealed class MipTcpStreamTests
{
    private static (MipTcpStream Stream, FakeDuplexCall<ConnectRequest, ConnectResponse> Fake) Open()
    {
        var fake = new FakeDuplexCall<ConnectRequest, ConnectResponse>();
        var stream = new MipTcpStream(TcpFrameChannels.ForConnect(fake.Call), "tcp-1",
            new IPEndPoint(IPAddress.Parse("192.168.2.21"), 40000), new IPEndPoint(IPAddress.Parse("192.168.2.1"), 80));
        return (stream, fake);
    }

    [Fact]
    public async Task Reads_span_data_messages_in_order_and_return_zero_at_end_of_stream()
    {
        var (stream, fake) = Open();
        fake.Respond(new ConnectResponse { Data = ByteString.CopyFromUtf8("hello ") });
        fake.Respond(new ConnectResponse { Data = ByteString.CopyFromUtf8("world") });
        fake.Respond(new ConnectResponse { EndOfStream = new EndOfStream() });

        var buffer = new byte[4];
        var text = new List<byte>();
        int n;
        while ((n = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken)) > 0)
        {
            text.AddRange(buffer[..n]);
        }
        Assert.Equal("hello world", System.Text.Encoding.UTF8.GetString([.. text]));
        Assert.Equal(0, await stream.ReadAsync(buffer, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Writes_are_split_into_64_KiB_messages_and_shutdown_sends_one_half_close()
    {
        var (stream, fake) = Open();
        var data = new byte[150_000];
        new Random(5).NextBytes(data);
        await stream.WriteAsync(data, TestContext.Current.CancellationToken);
        await stream.ShutdownAsync(TestContext.Current.CancellationToken);
        await stream.ShutdownAsync(TestContext.Current.CancellationToken);

        var written = fake.Requests.Written;
        Assert.Equal([65536, 65536, 18928], written.Take(3).Select(r => r.Data.Length));
        Assert.Equal(data, written.Take(3).SelectMany(r => r.Data.ToByteArray()));
        Assert.Equal(ConnectRequest.FrameOneofCase.ShutdownSend, Assert.Single(written.Skip(3)).FrameCase);
        Assert.False(fake.Requests.Completed); // a `close` may still follow
        Assert.False(stream.CanWrite);
        await Assert.ThrowsAsync<InvalidOperationException>(() => stream.WriteAsync(data, TestContext.Current.CancellationToken).AsTask());
    }

    [Theory]
    [InlineData("CONNECTION_RESET", SocketError.ConnectionReset)]
    [InlineData("CONNECTION_REFUSED", SocketError.ConnectionRefused)]
    [InlineData("TIMED_OUT", SocketError.TimedOut)]
    [InlineData("HOST_UNREACHABLE", SocketError.HostUnreachable)]
    [InlineData("ADDRESS_LOST", SocketError.AddressNotAvailable)]
    public async Task A_failed_call_surfaces_as_a_socket_error_with_the_servers_reason(string reason, SocketError expected)
    {
        var (stream, fake) = Open();
        fake.Fail(new Google.Rpc.Status
        {
            Code = (int)Code.Unavailable,
            Message = "peer said no",
            Details = { Any.Pack(new ErrorInfo { Reason = reason, Domain = "mip.v1" }) },
        }.ToRpcException());

        var ex = await Assert.ThrowsAsync<MipSocketException>(() => stream.ReadAsync(new byte[10], TestContext.Current.CancellationToken).AsTask());
        Assert.Equal(expected, ex.SocketErrorCode);
        Assert.Equal(reason, ex.Reason);
        Assert.IsAssignableFrom<IOException>(ex);
    }

    [Fact]
    public async Task Graceful_dispose_sends_close_and_does_not_wait_for_the_peer()
    {
        var (stream, fake) = Open();
        fake.Respond(new ConnectResponse { Data = ByteString.CopyFromUtf8("unread") });
        fake.End(); // the server ends the call right after `close`, without the peer's end of stream
        await stream.DisposeAsync();
        Assert.Equal(ConnectRequest.FrameOneofCase.Close, Assert.Single(fake.Requests.Written).FrameCase);
        Assert.True(fake.Requests.Completed);
        Assert.True(fake.Disposed);
    }

    [Fact]
    public async Task Dispose_after_half_close_and_end_of_stream_sends_nothing_more()
    {
        var (stream, fake) = Open();
        await stream.ShutdownAsync(TestContext.Current.CancellationToken);
        fake.Respond(new ConnectResponse { EndOfStream = new EndOfStream() });
        Assert.Equal(0, await stream.ReadAsync(new byte[4], TestContext.Current.CancellationToken));
        fake.End();
        await stream.DisposeAsync();
        Assert.Equal(ConnectRequest.FrameOneofCase.ShutdownSend, Assert.Single(fake.Requests.Written).FrameCase);
        Assert.True(fake.Disposed);
    }

    [Fact]
    public void Plain_dispose_ends_the_call_at_once()
    {
        var (stream, fake) = Open();
        stream.Dispose();
        Assert.Empty(fake.Requests.Written);
        Assert.True(fake.Disposed);
        Assert.Throws<ObjectDisposedException>(() => stream.Read(new byte[1], 0, 1));
    }
}
