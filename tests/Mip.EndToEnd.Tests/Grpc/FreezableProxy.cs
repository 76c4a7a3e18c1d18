using System.Net;
using System.Net.Sockets;

namespace Mip.EndToEnd.Tests.Grpc;

/// <summary>
/// A loopback TCP relay to a server port that can be frozen: it stops moving bytes both ways but keeps both
/// connections open, as a client host that vanished without a FIN or RST (powered off, partitioned) looks to a server.
/// </summary>
internal sealed class FreezableProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _frozen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<TcpClient> _connections = [];

    public FreezableProxy(int targetPort)
    {
        _listener.Start();
        _ = AcceptAsync(targetPort);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>From now on nothing passes either way; the connections stay open.</summary>
    public void Freeze() => _frozen.TrySetResult();

    private async Task AcceptAsync(int targetPort)
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                await server.ConnectAsync(IPAddress.Loopback, targetPort, _stop.Token);
                lock (_connections)
                {
                    _connections.Add(client);
                    _connections.Add(server);
                }
                _ = RelayAsync(client.GetStream(), server.GetStream());
                _ = RelayAsync(server.GetStream(), client.GetStream());
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Disposed.
        }
    }

    private async Task RelayAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = from.ReadAsync(buffer, _stop.Token).AsTask();
                // Frozen: the read in flight may finish, but its bytes are never forwarded and nothing more is read.
                if (await Task.WhenAny(read, _frozen.Task) == _frozen.Task)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }
                int n = await read;
                if (n == 0 || _frozen.Task.IsCompleted)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }
                await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Disposed, or a side closed.
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_connections)
        {
            foreach (var c in _connections)
            {
                c.Dispose();
            }
        }
        _stop.Dispose();
    }
}
