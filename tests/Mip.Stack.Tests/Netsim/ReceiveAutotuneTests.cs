using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Netsim;

/// <summary>
/// Receive-buffer auto-tuning on a connection that only receives: its sender-side SRTT is the handshake's sample for
/// good, so auto-tuning must run on the receiver's own RTT estimate.
/// </summary>
public sealed class ReceiveAutotuneTests(ITestOutputHelper output)
{
    private const long Bytes = 32L << 20;
    private const int InitialBuffer = 128 * 1024;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_slow_handshake_does_not_grow_a_receive_only_buffer_to_the_maximum(bool timestamps)
    {
        // 1 Gbit/s, 100 µs RTT: the bandwidth-delay product is 12.5 kB, and 125 kB arrive per millisecond (the
        // auto-tuning period's floor). The listener's handshake RTT is 50 ms: the loop stalled before the client's
        // ACK was read, as a cold JIT does.
        using var sim = new Netsim(new LinkProfile { OneWayDelay = TimeSpan.FromMicroseconds(50) }, seed: 5);
        var options = new TcpSocketOptions { Timestamps = timestamps, ReceiveBufferBytes = InitialBuffer };
        var listener = sim.B.ListenTcp(5001, options: options);
        var client = sim.A.ConnectTcp(new Ipv4Endpoint(Fixtures.IpB, 5001), sim.Now, options);
        sim.RunUntil(() => client.State == TcpState.Established, _ => { }, TimeSpan.FromSeconds(1));
        sim.Stall(TimeSpan.FromMilliseconds(50));
        // The client's ACK is due by now: the next polls deliver it (RunUntil would jump to the next timer instead).
        for (int i = 0; i < 10 && listener.PendingConnections == 0; i++)
        {
            sim.A.Poll(sim.Now);
            sim.B.Poll(sim.Now);
        }
        Assert.True(listener.TryAccept(out var server));
        Assert.True(server.Stats.SmoothedRtt >= TimeSpan.FromMilliseconds(50), server.Stats.ToString());
        var started = sim.Now;

        var chunk = new byte[64 * 1024];
        var sink = new byte[64 * 1024];
        long sent = 0, received = 0;
        int largestBuffer = 0;
        sim.RunUntil(
            () => received == Bytes,
            _ =>
            {
                while (sent < Bytes && client.Send(chunk.AsSpan(0, (int)Math.Min(chunk.Length, Bytes - sent))) is int n and > 0)
                {
                    sent += n;
                }
                int r;
                while ((r = server.Receive(sink)) > 0)
                {
                    received += r;
                }
                largestBuffer = Math.Max(largestBuffer, server.Stats.ReceiveBufferBytes);
            },
            TimeSpan.FromSeconds(30));

        var stats = server.Stats;
        double gbps = Bytes * 8 / (sim.Now - started).TotalSeconds / 1e9;
        output.WriteLine($"timestamps={timestamps}: {gbps:F3} Gbit/s, receive buffer {largestBuffer} bytes, " +
                         $"receiver RTT {stats.ReceiverRtt.TotalMicroseconds} µs, SRTT {stats.SmoothedRtt.TotalMicroseconds} µs");
        // The listener sent no data: its SRTT is still the handshake's 50 ms, which made every auto-tuning period
        // 50 ms (6 MB at this rate) and grew the buffer to the 8 MiB maximum.
        Assert.True(stats.SmoothedRtt >= TimeSpan.FromMilliseconds(40), stats.ToString());
        // The receiver's estimate sees the path: 100 µs plus the queue the sender keeps at the bottleneck (its flight
        // is bounded by our window, a few ms at this rate; timestamps see that queue, the window estimator keeps the
        // minimum it found before the queue built).
        Assert.True(stats.ReceiverRtt > TimeSpan.Zero && stats.ReceiverRtt < TimeSpan.FromMilliseconds(5), stats.ToString());
        // So the buffer stays within a few periods' worth (4x the bytes of one period, or a doubling), an eighth of
        // the maximum at most.
        Assert.True(largestBuffer <= 1 << 20, $"receive buffer grew to {largestBuffer} bytes; {stats}");
        // And the smaller buffer does not hold the sender back.
        Assert.True(gbps > 0.8, $"{gbps:F3} Gbit/s; {sim.Describe()}");
    }
}
