using Mip.Stack.Iface;
using Mip.Stack.Sockets.Tcp;

namespace Mip.Stack.Tests.Netsim;

/// <summary>
/// Stack to stack over a misbehaving simulated link, on fake time: 64 MiB each way must arrive bit for bit (SHA-256
/// of what each side sent equals that of what the other received) whatever the link does.
/// </summary>
public sealed class TransferTests
{
    private const long SixtyFourMiB = 64L << 20;

    [Fact]
    public void Sixty_four_MiB_each_way_survive_loss_reorder_duplication_and_corruption()
    {
        var wall = Netsim.Wall();
        using var sim = new Netsim(new LinkProfile
        {
            Loss = 0.05,
            Reorder = 0.05,
            Duplicate = 0.01,
            Corrupt = 0.001,
            OneWayDelay = TimeSpan.FromMilliseconds(1),
        }, seed: 1);
        using var transfer = BulkTransfer.Run(sim, SixtyFourMiB, SixtyFourMiB, TimeSpan.FromMinutes(30));

        AssertDelivered(transfer, SixtyFourMiB, SixtyFourMiB);
        // The faults really happened, and the one-bit corruptions were caught by the IPv4/TCP checksums (or, for a
        // flipped destination MAC or EtherType, by the link layer) instead of reaching the byte stream.
        foreach (var device in new[] { sim.DeviceA, sim.DeviceB })
        {
            Assert.True(device.TransmitCounters.Dropped > 1000, device.TransmitCounters.ToString());
            Assert.True(device.TransmitCounters.Reordered > 1000, device.TransmitCounters.ToString());
            Assert.True(device.TransmitCounters.Duplicated > 100, device.TransmitCounters.ToString());
            Assert.True(device.TransmitCounters.Corrupted > 10, device.TransmitCounters.ToString());
        }
        long corrupted = sim.DeviceA.TransmitCounters.Corrupted + sim.DeviceB.TransmitCounters.Corrupted;
        long caught = sim.A.Counters.TotalDrops + sim.B.Counters.TotalDrops;
        Assert.True(sim.A.Counters.Drops(DropReason.BadChecksum) + sim.B.Counters.Drops(DropReason.BadChecksum) > 0, sim.Describe());
        Assert.True(caught >= corrupted / 2, $"only {caught} drops for {corrupted} corrupted frames; {sim.Describe()}");
        Assert.True(sim.A.Counters.TcpRetransmitsFast + sim.A.Counters.TcpRetransmitsRto > 0, sim.Describe());
        Report(transfer, wall);
    }

    [Fact]
    public void Sixty_four_MiB_each_way_over_a_50_ms_one_way_delay()
    {
        var wall = Netsim.Wall();
        using var sim = new Netsim(new LinkProfile { OneWayDelay = TimeSpan.FromMilliseconds(50), QueueFrames = 8192 }, seed: 2);
        using var transfer = BulkTransfer.Run(sim, SixtyFourMiB, SixtyFourMiB, TimeSpan.FromMinutes(10));

        AssertDelivered(transfer, SixtyFourMiB, SixtyFourMiB);
        // A 100 ms RTT at 1 Gbit/s needs a 12.5 MB window: the receive buffer must have auto-tuned beyond its 1 MiB
        // start, or the transfer is capped at 1 MiB per RTT (~84 Mbit/s). Demand well above that cap.
        Assert.True(transfer.GoodputBitsPerSecond > 150e6, $"goodput {transfer.GoodputBitsPerSecond / 1e6:F1} Mbit/s; {sim.Describe()}");
        Report(transfer, wall);
    }

    [Fact]
    public void Both_ends_close_cleanly_after_a_lossy_transfer()
    {
        using var sim = new Netsim(new LinkProfile { Loss = 0.05, OneWayDelay = TimeSpan.FromMilliseconds(5) }, seed: 3);
        using var transfer = BulkTransfer.Run(sim, 1 << 20, 1 << 20, TimeSpan.FromMinutes(5));
        AssertDelivered(transfer, 1 << 20, 1 << 20);

        // Both sides already sent their FIN (Shutdown) and read the peer's: closing now completes the handshake.
        transfer.Client.Socket.Close();
        transfer.Server.Socket.Close();
        sim.RunUntil(
            () => transfer.Client.Socket.State is TcpState.TimeWait or TcpState.Closed && transfer.Server.Socket.State is TcpState.TimeWait or TcpState.Closed,
            _ => { },
            TimeSpan.FromMinutes(2));
        Assert.Equal(TcpError.None, transfer.Client.Socket.Error);
        Assert.Equal(TcpError.None, transfer.Server.Socket.Error);
    }

    private static void AssertDelivered(BulkTransfer t, long aToB, long bToA)
    {
        Assert.Equal(aToB, t.Client.Sent);
        Assert.Equal(aToB, t.Server.Received);
        Assert.Equal(bToA, t.Server.Sent);
        Assert.Equal(bToA, t.Client.Received);
        Assert.Equal(Convert.ToHexString(t.Client.SentSha256), Convert.ToHexString(t.Server.ReceivedSha256));
        Assert.Equal(Convert.ToHexString(t.Server.SentSha256), Convert.ToHexString(t.Client.ReceivedSha256));
    }

    private static void Report(BulkTransfer t, System.Diagnostics.Stopwatch wall) =>
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"wall {wall.Elapsed.TotalSeconds:F2} s, simulated {(t.Server.ReceiveFinishedAt!.Value - t.StartedAt).TotalSeconds:F2} s, " +
            $"A->B goodput {t.GoodputBitsPerSecond / 1e6:F1} Mbit/s; {t.Sim.Describe()}");
}
