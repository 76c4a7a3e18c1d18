using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Netsim;

/// <summary>
/// A connects to a listener on B; each side streams its own pattern to the other (<c>aToB</c> and <c>bToA</c>
/// bytes, at the same time on one connection), half-closes, and reads the peer's stream to its end.
/// </summary>
internal sealed class BulkTransfer : IDisposable
{
    public const ushort Port = 5001;

    private BulkTransfer(Netsim sim, StreamPeer client, StreamPeer server, Instant startedAt)
    {
        Sim = sim;
        Client = client;
        Server = server;
        StartedAt = startedAt;
    }

    public Netsim Sim { get; }
    public StreamPeer Client { get; }
    public StreamPeer Server { get; }
    public Instant StartedAt { get; }

    public static BulkTransfer Run(Netsim sim, long aToB, long bToA, TimeSpan simulatedLimit, TcpSocketOptions? options = null)
    {
        var listener = sim.B.ListenTcp(Port, options: options);
        var started = sim.Now;
        var socket = sim.A.ConnectTcp(new Ipv4Endpoint(Fixtures.IpB, Port), sim.Now, options);
        var client = new StreamPeer(socket, aToB, seed: 0xA11CE);
        StreamPeer? server = null;
        sim.RunUntil(
            () => client.Done && server is { Done: true },
            now =>
            {
                if (server is null && listener.TryAccept(out var accepted))
                {
                    server = new StreamPeer(accepted, bToA, seed: 0xB0B);
                }
                client.Pump(now);
                server?.Pump(now);
            },
            simulatedLimit);
        listener.Close();
        return new BulkTransfer(sim, client, server!, started);
    }

    /// <summary>Goodput of the A-to-B stream: bytes over the simulated time from connect to B reading the FIN.</summary>
    public double GoodputBitsPerSecond => Server.Received * 8 / (Server.ReceiveFinishedAt!.Value - StartedAt).TotalSeconds;

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
