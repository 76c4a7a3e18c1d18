using Mip.Stack.Sockets.Tcp;

namespace Mip.Stack.Tests.Sockets.Tcp;

public sealed class NewRenoTests
{
    private static readonly Instant T = Instant.FromSeconds(1);
    private static readonly TimeSpan Rtt = TimeSpan.FromMilliseconds(50);

    [Theory]
    [InlineData(536, 5360)]     // 10 MSS
    [InlineData(1000, 10_000)]  // 10 MSS
    [InlineData(1460, 14_600)]  // 10 MSS = 14600
    [InlineData(4000, 14_600)]  // capped at 14600
    [InlineData(9000, 18_000)]  // at least 2 MSS
    public void Initial_window_follows_rfc6928(int mss, long expected)
    {
        var cc = new NewReno(mss);
        Assert.Equal(expected, cc.CongestionWindow);
        Assert.Equal(CongestionWindowLimits.MaxWindow, cc.SlowStartThreshold);
        Assert.False(cc.InRecovery);
    }

    [Fact]
    public void Slow_start_counts_bytes_with_limit_two_segments()
    {
        var cc = new NewReno(1000);
        cc.OnAck(T, 1000, 10_000, Rtt, Rtt);
        Assert.Equal(11_000, cc.CongestionWindow);
        cc.OnAck(T, 500, 10_000, Rtt, Rtt);
        Assert.Equal(11_500, cc.CongestionWindow);
        cc.OnAck(T, 5000, 10_000, Rtt, Rtt); // stretch ACK: at most L = 2 SMSS (RFC 3465 §2.2)
        Assert.Equal(13_500, cc.CongestionWindow);
        cc.OnAck(T, 0, 10_000, Rtt, Rtt);
        cc.OnAck(T, -7, 10_000, Rtt, Rtt);
        Assert.Equal(13_500, cc.CongestionWindow);
    }

    [Fact]
    public void Fast_recovery_trajectory_matches_rfc6582()
    {
        var cc = new NewReno(1000);
        for (int i = 0; i < 10; i++)
        {
            cc.OnAck(T, 1000, 20_000, Rtt, Rtt);
        }
        Assert.Equal(20_000, cc.CongestionWindow);

        // Third duplicate ACK with 20000 in flight: ssthresh = 10000, cwnd = ssthresh + 3 SMSS.
        cc.OnCongestionEvent(T, CongestionEvent.FastRetransmit, 20_000);
        Assert.True(cc.InRecovery);
        Assert.Equal(10_000, cc.SlowStartThreshold);
        Assert.Equal(13_000, cc.CongestionWindow);

        // A second signal in the same episode changes nothing.
        cc.OnCongestionEvent(T, CongestionEvent.FastRetransmit, 20_000);
        Assert.Equal(13_000, cc.CongestionWindow);

        // Further duplicate ACKs inflate by one SMSS each.
        cc.OnDuplicateAck(T);
        cc.OnDuplicateAck(T);
        Assert.Equal(15_000, cc.CongestionWindow);

        // Partial ACK of 3000: deflate by 3000, add back one SMSS.
        cc.OnAck(T, 3000, 15_000, null, Rtt);
        Assert.Equal(13_000, cc.CongestionWindow);
        // Partial ACK below one SMSS: deflate only.
        cc.OnAck(T, 400, 14_600, null, Rtt);
        Assert.Equal(12_600, cc.CongestionWindow);

        // Full ACK with 4000 still in flight: cwnd = min(ssthresh, max(4000, SMSS) + SMSS) = 5000.
        cc.OnRecoveryExit(T, 4000);
        Assert.False(cc.InRecovery);
        Assert.Equal(5000, cc.CongestionWindow);
        // Duplicate ACKs outside recovery do not inflate.
        cc.OnDuplicateAck(T);
        Assert.Equal(5000, cc.CongestionWindow);
    }

    [Fact]
    public void Recovery_exit_with_a_full_pipe_returns_to_ssthresh()
    {
        var cc = new NewReno(1000);
        cc.OnCongestionEvent(T, CongestionEvent.FastRetransmit, 30_000);
        cc.OnRecoveryExit(T, 30_000);
        Assert.Equal(15_000, cc.CongestionWindow);
        Assert.Equal(15_000, cc.SlowStartThreshold);
    }

    [Fact]
    public void Congestion_avoidance_adds_one_segment_per_window_acknowledged()
    {
        var cc = new NewReno(1000);
        cc.OnCongestionEvent(T, CongestionEvent.FastRetransmit, 20_000);
        cc.OnRecoveryExit(T, 20_000); // cwnd = ssthresh = 10000
        for (int i = 0; i < 9; i++)
        {
            cc.OnAck(T, 1000, 10_000, Rtt, Rtt);
        }
        Assert.Equal(10_000, cc.CongestionWindow);
        cc.OnAck(T, 1000, 10_000, Rtt, Rtt);
        Assert.Equal(11_000, cc.CongestionWindow);
        for (int i = 0; i < 10; i++)
        {
            cc.OnAck(T, 1000, 11_000, Rtt, Rtt);
        }
        Assert.Equal(11_000, cc.CongestionWindow);
        cc.OnAck(T, 1000, 11_000, Rtt, Rtt);
        Assert.Equal(12_000, cc.CongestionWindow);
    }

    [Fact]
    public void Rto_drops_to_one_segment_and_slow_starts_with_limit_one()
    {
        var cc = new NewReno(1000);
        cc.OnCongestionEvent(T, CongestionEvent.FastRetransmit, 20_000);
        cc.OnCongestionEvent(T, CongestionEvent.RetransmissionTimeout, 13_000);
        Assert.False(cc.InRecovery);
        Assert.Equal(1000, cc.CongestionWindow);
        Assert.Equal(6500, cc.SlowStartThreshold);
        cc.OnAck(T, 4000, 0, null, Rtt); // RFC 3465 §2.3: L = 1 SMSS after an RTO
        Assert.Equal(2000, cc.CongestionWindow);
        cc.OnAck(T, 4000, 0, null, Rtt);
        cc.OnAck(T, 4000, 0, null, Rtt);
        cc.OnAck(T, 4000, 0, null, Rtt);
        cc.OnAck(T, 4000, 0, null, Rtt);
        Assert.Equal(6000, cc.CongestionWindow);
        cc.OnAck(T, 4000, 0, null, Rtt);
        Assert.Equal(7000, cc.CongestionWindow); // crossed ssthresh: slow start ends
        cc.OnAck(T, 4000, 0, null, Rtt);
        Assert.Equal(7000, cc.CongestionWindow); // congestion avoidance: 4000 < cwnd acknowledged so far
    }

    [Fact]
    public void Ecn_halves_without_entering_recovery()
    {
        var cc = new NewReno(1000);
        cc.OnCongestionEvent(T, CongestionEvent.Ecn, 20_000);
        Assert.False(cc.InRecovery);
        Assert.Equal(10_000, cc.SlowStartThreshold);
        Assert.Equal(10_000, cc.CongestionWindow);
    }

    [Fact]
    public void Ssthresh_never_below_two_segments()
    {
        var cc = new NewReno(1000);
        cc.OnCongestionEvent(T, CongestionEvent.FastRetransmit, 0);
        Assert.Equal(2000, cc.SlowStartThreshold);
        Assert.Equal(5000, cc.CongestionWindow);
    }

    [Fact]
    public void Extreme_values_saturate_instead_of_overflowing()
    {
        var cc = new NewReno(65_535);
        for (int i = 0; i < 100_000; i++)
        {
            cc.OnAck(T, long.MaxValue, long.MaxValue, Rtt, TimeSpan.MaxValue);
        }
        Assert.Equal(CongestionWindowLimits.MaxWindow, cc.CongestionWindow);
        cc.OnCongestionEvent(T, CongestionEvent.FastRetransmit, long.MaxValue);
        Assert.Equal(CongestionWindowLimits.MaxWindow / 2, cc.SlowStartThreshold);
        for (int i = 0; i < 10_000; i++)
        {
            cc.OnDuplicateAck(T); // 8000-odd inflations reach the cap
        }
        Assert.Equal(CongestionWindowLimits.MaxWindow, cc.CongestionWindow);
        cc.OnAck(T, long.MaxValue, long.MinValue, null, TimeSpan.MinValue);
        Assert.Equal(65_535, cc.CongestionWindow); // deflated to the floor of one segment
        cc.OnRecoveryExit(T, long.MinValue);
        Assert.Equal(2 * 65_535, cc.CongestionWindow);

        cc.SetMss(0);
        Assert.Equal(1, cc.Mss);
        cc.SetMss(int.MaxValue);
        Assert.Equal(65_535, cc.Mss);
        Assert.InRange(cc.CongestionWindow, cc.Mss, CongestionWindowLimits.MaxWindow);
    }

    [Fact]
    public void Randomized_inputs_keep_the_window_in_bounds()
    {
        var rng = new Random(5681);
        ICongestionControl[] ccs = [new NewReno(1460), new Cubic(1460), new Cubic(536, useHyStart: false)];
        foreach (var cc in ccs)
        {
            long now = 0;
            for (int i = 0; i < 200_000; i++)
            {
                now += rng.Next(0, 100_000);
                var at = new Instant(now);
                long big = rng.Next(3) == 0 ? rng.NextInt64(long.MinValue, long.MaxValue) : rng.Next(0, 200_000);
                switch (rng.Next(10))
                {
                    case 0:
                        cc.OnCongestionEvent(at, (CongestionEvent)rng.Next(3), big);
                        break;
                    case 1:
                        cc.OnRecoveryExit(at, big);
                        break;
                    case 2:
                        cc.OnDuplicateAck(at);
                        break;
                    case 3:
                        cc.SetMss(rng.Next(-10, 70_000));
                        break;
                    default:
                        cc.OnAck(at, big, rng.NextInt64(-1000, 1L << 40),
                            rng.Next(2) == 0 ? null : TimeSpan.FromTicks(rng.NextInt64(-1000, TimeSpan.TicksPerDay)),
                            TimeSpan.FromTicks(rng.NextInt64(0, TimeSpan.TicksPerHour)));
                        break;
                }
                Assert.InRange(cc.CongestionWindow, cc.Mss, CongestionWindowLimits.MaxWindow);
                Assert.InRange(cc.SlowStartThreshold, 2L * cc.Mss, CongestionWindowLimits.MaxWindow);
            }
        }
    }
}
