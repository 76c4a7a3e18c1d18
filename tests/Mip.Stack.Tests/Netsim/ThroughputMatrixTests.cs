namespace Mip.Stack.Tests.Netsim;

/// <summary>
/// Goodput over a simulated 100 Mbit/s path for loss x RTT, computed on fake time (bytes / simulated seconds), compared
/// with the snapshot in <c>throughput-matrix.txt</c>: a cell more than 20 % below its snapshot fails the test.
/// Everything is seeded, so the same code gives the same matrix; after an intended change, rewrite the snapshot with
/// <c>MIP_UPDATE_SNAPSHOTS=1 dotnet test --project tests/Mip.Stack.Tests -c Release</c> and commit it.
/// </summary>
public sealed class ThroughputMatrixTests
{
    private const long BytesPerCell = 8L << 20;
    private const long LinkBitsPerSecond = 100_000_000;
    private const double Tolerance = 0.20;
    private static readonly double[] LossRates = [0, 0.01, 0.05, 0.10];
    private static readonly int[] RttMilliseconds = [1, 50, 200];

    [Fact]
    public void Goodput_by_loss_and_rtt_matches_the_snapshot()
    {
        var fresh = Measure();
        string path = SnapshotPath();
        string text = fresh.Format(
            $"TCP goodput in Mbit/s: {BytesPerCell >> 20} MiB one way per cell over a simulated {LinkBitsPerSecond / 1_000_000} Mbit/s link\n" +
            "(queue 1000 frames, loss on both directions, seeded), computed on fake time: bytes / simulated seconds.\n" +
            "Compared by Netsim/ThroughputMatrixTests (fails below -20 %); rewrite with MIP_UPDATE_SNAPSHOTS=1.");
        TestContext.Current.TestOutputHelper?.WriteLine(text);

        if (Environment.GetEnvironmentVariable("MIP_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(path, text);
            return;
        }
        Assert.True(File.Exists(path), $"no snapshot at {path}: create it with MIP_UPDATE_SNAPSHOTS=1");
        var snapshot = ThroughputMatrix.Parse(File.ReadAllText(path));
        var regressions = fresh.RegressionsAgainst(snapshot, Tolerance, out var improvements);
        if (improvements.Count > 0)
        {
            TestContext.Current.TestOutputHelper?.WriteLine("Better than the snapshot (update it to lock the gain in):\n  " + string.Join("\n  ", improvements));
        }
        Assert.True(regressions.Count == 0,
            $"goodput regressed by more than {Tolerance:P0} against {path}:\n  {string.Join("\n  ", regressions)}\n" +
            $"fresh matrix:\n{text}\nsnapshot:\n{File.ReadAllText(path)}");
    }

    [Fact]
    public void The_matrix_text_round_trips_and_the_comparison_flags_only_real_regressions()
    {
        var snapshot = new ThroughputMatrix([0, 0.05], [1, 200]);
        snapshot.Mbps[0, 0] = 94.5; snapshot.Mbps[0, 1] = 40; snapshot.Mbps[1, 0] = 20; snapshot.Mbps[1, 1] = 1.25;
        var parsed = ThroughputMatrix.Parse(snapshot.Format("header\nline two"));
        Assert.Equal(snapshot.LossRates, parsed.LossRates);
        Assert.Equal(snapshot.RttMilliseconds, parsed.RttMilliseconds);
        Assert.Equal(snapshot.Mbps, parsed.Mbps);

        var fresh = ThroughputMatrix.Parse(snapshot.Format("x"));
        fresh.Mbps[0, 1] = 40 * 0.81;  // within tolerance
        fresh.Mbps[1, 1] = 1.25 * 0.7; // a 30 % drop
        fresh.Mbps[1, 0] = 30;         // better
        var regressions = fresh.RegressionsAgainst(parsed, 0.20, out var improvements);
        Assert.Equal(["loss 5% rtt 200 ms: 1.25 -> 0.88 Mbit/s (-30.0%)"], regressions);
        Assert.Equal(["loss 5% rtt 1 ms: 20.00 -> 30.00 Mbit/s (+50.0%)"], improvements);
    }

    private static ThroughputMatrix Measure()
    {
        var matrix = new ThroughputMatrix(LossRates, RttMilliseconds);
        var cells = LossRates.SelectMany((_, r) => RttMilliseconds.Select((_, c) => (r, c))).ToArray();
        // Cells are independent simulations (own stacks, own seeds): run them on all cores.
        Parallel.ForEach(cells, cell =>
        {
            var profile = new LinkProfile
            {
                RateBitsPerSecond = LinkBitsPerSecond,
                QueueFrames = 1000,
                OneWayDelay = TimeSpan.FromMicroseconds(RttMilliseconds[cell.c] * 500),
                Loss = LossRates[cell.r],
            };
            using var sim = new Netsim(profile, seed: 100 + (cell.r * 10) + cell.c);
            using var transfer = BulkTransfer.Run(sim, BytesPerCell, 0, TimeSpan.FromHours(1));
            Assert.Equal(Convert.ToHexString(transfer.Client.SentSha256), Convert.ToHexString(transfer.Server.ReceivedSha256));
            matrix.Mbps[cell.r, cell.c] = Math.Round(transfer.GoodputBitsPerSecond / 1e6, 2);
        });
        return matrix;
    }

    private static string SnapshotPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MipGrpc.sln")))
            {
                return Path.Combine(dir.FullName, "tests", "Mip.Stack.Tests", "Netsim", "throughput-matrix.txt");
            }
        }
        throw new InvalidOperationException("repository root (MipGrpc.sln) not found above " + AppContext.BaseDirectory);
    }
}
