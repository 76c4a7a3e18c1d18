using System.Net;
using Mip.Client;

namespace Mip.DemoHttp;

/// <summary>Accepts connections from a <see cref="MipTcpListener"/> and serves each on its own task.</summary>
internal sealed class DemoHttpServer(IPEndPoint local)
{
    private long _connections;
    private long _requests;

    public long Requests => Interlocked.Read(ref _requests);

    public IPEndPoint Local => local;

    public async Task RunAsync(MipTcpListener listener, CancellationToken cancellationToken)
    {
        var running = new List<Task>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var stream = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _connections);
                running.RemoveAll(t => t.IsCompleted);
                running.Add(ServeAsync(stream, cancellationToken));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task ServeAsync(MipTcpStream stream, CancellationToken cancellationToken)
    {
        var connection = new HttpDemoConnection(stream, this);
        try
        {
            await connection.RunAsync(cancellationToken).ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false); // graceful: FIN, wait for the peer's, end the call
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidDataException)
        {
            // A reset, a malformed request or shutdown: drop this connection (RST), keep serving the others.
            await Console.Error.WriteLineAsync($"mip-demo-http: {stream.RemoteEndPoint}: {ex.Message}").ConfigureAwait(false);
            stream.Dispose();
        }
    }

    internal void CountRequest() => Interlocked.Increment(ref _requests);

    internal string StatusText() =>
        $"Served through gRPC by mip-demo-http (Mip.Client.ListenAsync on {local}):\n" +
        $"the request travelled kernel -> veth -> user-space stack -> gRPC TcpService -> this client.\n" +
        $"connections {Interlocked.Read(ref _connections)}, requests {Requests}\n\n" +
        "GET /bytes/N   N bytes, byte i = i mod 251\nPOST /sink     answers the body's SHA-256 and length\n";
}
