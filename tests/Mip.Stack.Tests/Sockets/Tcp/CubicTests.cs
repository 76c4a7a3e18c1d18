using Mip.Stack.Sockets.Tcp;

namespace Mip.Stack.Tests.Sockets.Tcp;

public sealed class CubicTests
{
    private const int Mss = 1000;
    private static readonly Instant Loss = Instant.FromSeconds(10);

    /// <summary>Slow start to 100 segments, lose at t = 10 s with 100 segments in flight, recover fully.</summary>
    private static Cubic AfterLossAt100Segments()
    {
        var cc = new Cubic(Mss, useHyStart: false);
        while (cc.CongestionWindow < 100 * Mss)
        {
            cc.OnAck(Instant.FromSeconds(1), Mss, 0, null, TimeSpan.Zero);
        }
        Assert.Equal(100 * Mss, cc.CongestionWindow);
        cc.OnCongestionEvent(Loss, CongestionEvent.FastRetransmit, 100 * Mss);
        cc.OnRecoveryExit(Loss, 70 * Mss);
        return cc;
    }

    [Fact]
    public void Loss_reduces_by_beta_and_remembers_w_max()
    {
        var cc = new Cubic(Mss, useHyStart: false);
        while (cc.CongestionWindow < 100 * Mss)
        {
            cc.OnAck(Instant.Zero, Mss, 0, null, TimeSpan.Zero);
        }
        cc.OnCongestionEvent(Loss, CongestionEvent.FastRetransmit, 100 * Mss);
        Assert.Equal(70 * Mss, cc.SlowStartThreshold);            // RFC 9438 §4.6: flight · 0.7
        Assert.Equal(73 * Mss, cc.CongestionWindow);              // + 3 SMSS while in RFC 6582 recovery
        Assert.Equal(100.0, cc.WMax);
        cc.OnRecoveryExit(Loss, 70 * Mss);
        Assert.Equal(70 * Mss, cc.CongestionWindow);
    }

    [Fact]
    public void Window_follows_w_cubic_after_a_loss_at_known_times()
    {
        var cc = AfterLossAt100Segments();
        // RFC 9438 eq. 2: K = cbrt(W_max (1 − β) / C) = cbrt(100 · 0.3 / 0.4) = cbrt(75) ≈ 4.217 s.
        double k = Math.Cbrt(100 * (1 - 0.7) / 0.4);
        // First ACK opens the epoch at the loss time; an ACK for a whole window then moves cwnd exactly onto
        // W_cubic(t + RTT) (RFC 9438 §4.4: +(target − cwnd)/cwnd per segment, cwnd segments acknowledged).
        cc.OnAck(Loss, Mss, 70 * Mss, null, TimeSpan.Zero);
        Assert.Equal(k, cc.K, 12);
        // At t = 0 W_cubic = 70 but W_est already moved by α·1/70 segments: Reno-friendly region (RFC 9438 §4.3).
        double alpha = 3 * (1 - 0.7) / (1 + 0.7);
        Assert.Equal((long)((70 + (alpha / 70)) * Mss), cc.CongestionWindow);
        foreach (double t in new[] { 0.5, 1.0, 2.0, 3.0, 4.0, k, 5.0, 6.0, 7.0, 8.0 })
        {
            cc.OnAck(Loss + TimeSpan.FromSeconds(t), cc.CongestionWindow, cc.CongestionWindow, null, TimeSpan.Zero);
            double wCubic = 100 + (0.4 * Math.Pow(t - k, 3)); // RFC 9438 eq. 1 in segments
            Assert.InRange(cc.CongestionWindow, (long)(wCubic * Mss) - 1, (long)(wCubic * Mss) + 1);
        }
        // The loop passed t = K (back at W_max = 100, the plateau) and ends in the convex region:
        // 100 + 0.4·(8 − K)³ ≈ 121.6 segments.
        Assert.True(cc.CongestionWindow > 121 * Mss);
    }

    [Fact]
    public void Target_uses_t_plus_rtt_and_is_capped_at_one_and_a_half_cwnd()
    {
        var cc = AfterLossAt100Segments();
        double k = Math.Cbrt(75);
        var rtt = TimeSpan.FromMilliseconds(200);
        cc.OnAck(Loss, Mss, 70 * Mss, null, rtt);
        cc.OnAck(Loss + TimeSpan.FromSeconds(1), cc.CongestionWindow, cc.CongestionWindow, null, rtt);
        double expected = 100 + (0.4 * Math.Pow(1.2 - k, 3));
        Assert.InRange(cc.CongestionWindow, (long)(expected * Mss) - 1, (long)(expected * Mss) + 1);

        // Far in the future W_cubic is huge; one ACK can still only reach 1.5 · cwnd.
        long before = cc.CongestionWindow;
        cc.OnAck(Loss + TimeSpan.FromSeconds(100), before, before, null, rtt);
        Assert.InRange(cc.CongestionWindow, (long)(before * 1.5) - 1, (long)(before * 1.5));
    }

    [Fact]
    public void Reno_friendly_region_grows_like_reno_with_alpha_cubic()
    {
        var cc = AfterLossAt100Segments();
        // Time stands still at the epoch start, so W_cubic(0) = 70 never grows; only W_est can move cwnd.
        for (int i = 0; i < 70 * 10; i++)
        {
            cc.OnAck(Loss, Mss, 70 * Mss, null, TimeSpan.Zero);
        }
        // W_est += α/W per acknowledged segment (α = 3·0.3/1.7 ≈ 0.529), cwnd tracking W_est. Over N segments that is
        // W² ≈ 70² + 2αN: about α segments per window of ACKs, Reno's rate scaled by α.
        double alpha = 3 * (1 - 0.7) / (1 + 0.7);
        Assert.Equal(alpha, Cubic.Alpha, 12);
        double expectedSegments = Math.Sqrt((70 * 70) + (2 * alpha * 700));
        Assert.InRange(cc.CongestionWindow / (double)Mss, expectedSegments - 0.01, expectedSegments + 0.01);
    }

    [Fact]
    public void Fast_convergence_lowers_w_max_when_losing_below_it()
    {
        var cc = AfterLossAt100Segments();
        cc.OnAck(Loss, Mss, 70 * Mss, null, TimeSpan.Zero);
        cc.OnAck(Loss + TimeSpan.FromSeconds(2), cc.CongestionWindow, cc.CongestionWindow, null, TimeSpan.Zero);
        double cwnd = cc.CongestionWindow / (double)Mss; // ≈ 95, below W_max = 100
        Assert.True(cwnd < 100);
        var second = Loss + TimeSpan.FromSeconds(2);
        cc.OnCongestionEvent(second, CongestionEvent.FastRetransmit, cc.CongestionWindow);
        Assert.Equal(cwnd * (1 + 0.7) / 2, cc.WMax, 9);       // RFC 9438 §4.7
        Assert.Equal((long)(cwnd * Mss * 0.7), cc.SlowStartThreshold);
        cc.OnRecoveryExit(second, cc.SlowStartThreshold);
        double cwndEpoch = cc.CongestionWindow / (double)Mss;
        cc.OnAck(second, Mss, cc.CongestionWindow, null, TimeSpan.Zero);
        Assert.Equal(Math.Cbrt((cc.WMax - cwndEpoch) / 0.4), cc.K, 9);
    }

    [Fact]
    public void Rto_restarts_from_one_segment_and_the_next_epoch_has_k_zero()
    {
        var cc = AfterLossAt100Segments();
        var rto = Loss + TimeSpan.FromSeconds(1);
        cc.OnCongestionEvent(rto, CongestionEvent.RetransmissionTimeout, 70 * Mss);
        Assert.Equal(Mss, cc.CongestionWindow);
        Assert.Equal(49 * Mss, cc.SlowStartThreshold);
        while (cc.CongestionWindow < cc.SlowStartThreshold)
        {
            cc.OnAck(rto, 10 * Mss, 0, null, TimeSpan.Zero); // L = 1 after an RTO: +1 SMSS per ACK
        }
        Assert.Equal(49 * Mss, cc.CongestionWindow);
        cc.OnAck(rto, Mss, 0, null, TimeSpan.Zero);
        Assert.Equal(0, cc.K); // RFC 9438 §4.8
        cc.OnAck(rto + TimeSpan.FromSeconds(2), cc.CongestionWindow, cc.CongestionWindow, null, TimeSpan.Zero);
        double expected = 49 + (0.4 * 8); // W_max = cwnd_epoch = 49, t = 2 s
        Assert.InRange(cc.CongestionWindow, (long)(expected * Mss) - 1, (long)(expected * Mss) + 1);
    }

    /// <summary>
    /// Drives <paramref name="cc"/> like a cwnd-limited sender that refills after every ACK, one SMSS per ACK, with
    /// rounds delimited as RFC 9406 §4.2 does (windowEnd = SND.NXT at a round's start; the ACK that reaches it is the
    /// round's last, the controller starts the next round at the first ACK past it).
    /// Returns, per round, whether the controller was in CSS at the round's end; stops when ssthresh is set. Rounds are
    /// <paramref name="gapOfRound"/> apart (default: their RTT); all ACKs of a round arrive at its end.
    /// </summary>
    private static List<bool> RunRounds(Cubic cc, Func<int, TimeSpan> rttOfRound, int maxRounds, out int exitRound,
        Func<int, TimeSpan>? gapOfRound = null)
    {
        var now = Instant.FromSeconds(1);
        long sent = cc.CongestionWindow, acked = 0, windowEnd = sent;
        int round = 0;
        var cssAtEnd = new List<bool>();
        exitRound = -1;
        while (round < maxRounds)
        {
            var rtt = rttOfRound(round);
            long before = cc.CongestionWindow;
            bool wasCss = cc.InConservativeSlowStart;
            acked += Mss;
            cc.OnAck(now, Mss, sent - acked, rtt, rtt);
            if (cc.SlowStartThreshold != CongestionWindowLimits.MaxWindow)
            {
                exitRound = round;
                cssAtEnd.Add(cc.InConservativeSlowStart);
                return cssAtEnd;
            }
            // Standard slow start grows one SMSS per SMSS acknowledged; CSS a quarter of that (RFC 9406 §4.2).
            Assert.Equal(wasCss ? Mss / 4 : Mss, cc.CongestionWindow - before);
            if (acked >= windowEnd)
            {
                cssAtEnd.Add(cc.InConservativeSlowStart);
                windowEnd = sent;
                now += gapOfRound?.Invoke(round) ?? rtt;
                round++;
            }
            sent = acked + cc.CongestionWindow;
        }
        return cssAtEnd;
    }

    [Fact]
    public void HyStart_enters_css_on_rtt_increase_then_congestion_avoidance_after_five_rounds()
    {
        var cc = new Cubic(Mss);
        // From round 3 the RTT is 113 ms, at least 100 + clamp(100/8, 4, 16) = 112.5 ms: CSS begins after 8 samples.
        var cssAtEnd = RunRounds(cc, r => TimeSpan.FromMilliseconds(r < 3 ? 100 : 113), 40, out int exitRound);
        Assert.Equal([false, false, false, true, true, true, true, true], cssAtEnd.Take(8));
        // CSS began part-way through round 3; after five complete CSS rounds (4..8) ssthresh = cwnd (RFC 9406 §4.2),
        // seen at the first ACK past round 8's windowEnd, which begins round 9.
        Assert.Equal(9, exitRound);
        Assert.Equal(cc.CongestionWindow, cc.SlowStartThreshold);
        Assert.False(cc.InConservativeSlowStart);
    }

    [Fact]
    public void HyStart_returns_to_slow_start_when_the_rtt_drop_shows_the_increase_was_spurious()
    {
        var cc = new Cubic(Mss);
        int[] rttMs = [100, 100, 100, 120, 90, 90, 90];
        var cssAtEnd = RunRounds(cc, r => TimeSpan.FromMilliseconds(rttMs[Math.Min(r, rttMs.Length - 1)]), 7, out int exit);
        Assert.Equal([false, false, false, true, false, false, false], cssAtEnd);
        Assert.Equal(-1, exit);
        Assert.Equal(CongestionWindowLimits.MaxWindow, cc.SlowStartThreshold);
    }

    [Fact]
    public void HyStart_is_not_used_after_the_first_congestion_event()
    {
        var cc = new Cubic(Mss);
        cc.OnCongestionEvent(Instant.Zero, CongestionEvent.RetransmissionTimeout, 20 * Mss);
        Assert.Equal(14 * Mss, cc.SlowStartThreshold); // 0.7 · 20 segments
        // After the RTO: standard slow start with L = 1 even with RTT samples that would trigger CSS.
        for (int i = 0; i < 13; i++)
        {
            Assert.Equal((1 + i) * Mss, cc.CongestionWindow);
            cc.OnAck(Instant.Zero, 4 * Mss, Mss, TimeSpan.FromMilliseconds(100 + (i * 50)), TimeSpan.Zero);
            Assert.False(cc.InConservativeSlowStart);
        }
        Assert.Equal(14 * Mss, cc.CongestionWindow);
    }

    [Fact]
    public void Extreme_times_and_windows_stay_finite_and_bounded()
    {
        var cc = new Cubic(65_535, useHyStart: false);
        cc.OnCongestionEvent(Instant.Zero, CongestionEvent.FastRetransmit, long.MaxValue);
        cc.OnRecoveryExit(Instant.Zero, long.MaxValue);
        cc.OnAck(new Instant(long.MinValue), long.MaxValue, long.MaxValue, TimeSpan.MaxValue, TimeSpan.MaxValue);
        cc.OnAck(Instant.MaxValue, long.MaxValue, long.MaxValue, TimeSpan.MaxValue, TimeSpan.MaxValue);
        for (int i = 0; i < 1000; i++)
        {
            cc.OnAck(Instant.MaxValue, long.MaxValue, long.MaxValue, null, TimeSpan.MaxValue);
        }
        Assert.Equal(CongestionWindowLimits.MaxWindow, cc.CongestionWindow);
        Assert.False(double.IsNaN(cc.K) || double.IsNaN(cc.WMax));
    }

    /// <summary>
    /// The shape the 200 ms netsim cell produced: an unpaced sender's flight comes back each round as one train of
    /// ACKs at line rate (2 SMSS per delayed ACK, 100 Mbit/s with 1500-byte frames: one every 242 µs) followed by an
    /// idle gap, and every ACK's RTT is the base RTT because the queue drains in the gap. RFC 9406's delay test never
    /// fires; the ACK-train test must end slow start once a train lasts half the minimum RTT. Rounds must begin at the
    /// first ACK past windowEnd (the head of a train): the old byte count began them at the train's last ACK, so the
    /// train was never seen either.
    /// </summary>
    [Fact]
    public void HyStart_ends_slow_start_when_an_ack_train_spans_half_the_min_rtt_although_no_rtt_rose()
    {
        const int Smss = 1448;
        var rtt = TimeSpan.FromMilliseconds(200);
        var spacing = TimeSpan.FromMicroseconds(242);
        var cc = new Cubic(Smss);
        var roundStart = Instant.FromSeconds(1) + rtt;
        long outstanding = cc.CongestionWindow; // the initial window, sent at once
        int round = 0;
        Instant? exitAt = null;
        var exitRoundStart = roundStart;
        while (exitAt is null && round < 12)
        {
            long train = outstanding; // everything in flight comes back in this round's train
            for (int i = 0; (long)i * 2 * Smss < train; i++)
            {
                var now = roundStart + (spacing * i);
                outstanding -= 2 * Smss;
                cc.OnAck(now, 2 * Smss, outstanding, rtt, rtt);
                if (cc.SlowStartThreshold != CongestionWindowLimits.MaxWindow)
                {
                    exitAt = now;
                    exitRoundStart = roundStart;
                    break;
                }
                Assert.False(cc.InConservativeSlowStart); // the RTT never rose
                outstanding = cc.CongestionWindow; // cwnd-limited: the sender refills at once
            }
            roundStart += rtt;
            round++;
        }

        // Windows 10, 20, ..., 640 have trains shorter than 100 ms; the 1280-segment one (about 155 ms) ends slow
        // start with the first ACK more than 100.5 ms after its head.
        Assert.NotNull(exitAt);
        Assert.Equal(7, round - 1);
        var span = exitAt.Value - exitRoundStart;
        // Half of the minimum RTT plus its 1 ms resolution: 100.5 ms.
        var threshold = (rtt + TimeSpan.FromMilliseconds(1)) / 2;
        Assert.InRange(span, threshold, threshold + spacing);
        Assert.Equal(cc.CongestionWindow, cc.SlowStartThreshold);
        Assert.InRange(cc.CongestionWindow / Smss, 1280 + 832, 1280 + 836); // +2 SMSS per ACK over 417 ACKs
        Assert.False(cc.InConservativeSlowStart);
    }

    /// <summary>
    /// A sub-millisecond path (a LAN, the in-memory link): timestamp RTT samples are whole milliseconds, so every sample
    /// is 0 ms, and every round comes back as one train of ACKs a microsecond apart. With "train longer than minRTT/2"
    /// the first 16-segment window ended slow start (a 0 ms minimum makes any train long enough). The test takes the
    /// minimum at the top of its resolution (1 ms): the train must span more than 0.5 ms.
    /// </summary>
    [Fact]
    public void An_ack_train_on_a_sub_millisecond_path_must_span_half_a_millisecond()
    {
        const int Smss = 1448;
        var spacing = TimeSpan.FromMicroseconds(1);
        var cc = new Cubic(Smss);
        var roundStart = Instant.FromSeconds(1);
        long outstanding = cc.CongestionWindow;
        long exitWindow = 0;
        TimeSpan exitSpan = default;
        for (int round = 0; round < 16 && exitWindow == 0; round++)
        {
            long train = outstanding;
            for (int i = 0; (long)i * 2 * Smss < train; i++)
            {
                var now = roundStart + (spacing * i);
                outstanding -= 2 * Smss;
                long before = cc.CongestionWindow;
                cc.OnAck(now, 2 * Smss, outstanding, TimeSpan.Zero, TimeSpan.Zero);
                if (cc.SlowStartThreshold != CongestionWindowLimits.MaxWindow)
                {
                    exitWindow = before / Smss;
                    exitSpan = now - roundStart;
                    break;
                }
                outstanding = cc.CongestionWindow;
            }
            roundStart += TimeSpan.FromMilliseconds(1); // the idle gap between trains: a new round, a new train
        }
        // Trains of 5, 10, ..., 320 ACKs (up to 319 µs) pass; the 640-ACK train of the 1280-segment window ends slow
        // start at its first ACK more than 500 µs after its head.
        Assert.InRange(exitSpan, TimeSpan.FromMicroseconds(500), TimeSpan.FromMicroseconds(502));
        Assert.InRange(exitWindow, 1280, 1280 + (2 * 502));
        Assert.Equal(cc.CongestionWindow, cc.SlowStartThreshold);
    }

    /// <summary>
    /// RFC 9406 §4.2/§4.3: the delay test needs the round's minimum RTT to rise by RttThresh = clamp(lastRoundMinRTT/8,
    /// MIN_RTT_THRESH = 4 ms, 16 ms). On a sub-millisecond path with millisecond samples jittering between 0 and 3 ms
    /// (a busy host, a scheduler hiccup) that never happens; a sustained 4 ms rise (a queue building) does enter CSS.
    /// Rounds are 3 ms apart, more than the ACK-train gap, so only the delay test is at work.
    /// </summary>
    [Fact]
    public void HyStart_delay_test_ignores_jitter_below_min_rtt_thresh_on_a_sub_millisecond_path()
    {
        var gap = TimeSpan.FromMilliseconds(3);
        var jitter = new Cubic(Mss);
        int[] jitterMs = [0, 3, 0, 2, 3, 0, 3, 1, 0, 3];
        var cssAtEnd = RunRounds(jitter, r => TimeSpan.FromMilliseconds(jitterMs[r % jitterMs.Length]), 10, out int exit, _ => gap);
        Assert.Equal(-1, exit);
        Assert.DoesNotContain(true, cssAtEnd);

        var queue = new Cubic(Mss);
        cssAtEnd = RunRounds(queue, r => TimeSpan.FromMilliseconds(r < 3 ? 0 : 4), 5, out _, _ => gap);
        Assert.Equal([false, false, false, true, true], cssAtEnd);
    }

    [Fact]
    public void An_ack_train_broken_by_gaps_does_not_end_slow_start()
    {
        const int Smss = 1448;
        var rtt = TimeSpan.FromMilliseconds(200);
        var cc = new Cubic(Smss);
        var now = Instant.FromSeconds(1);
        long outstanding = cc.CongestionWindow;
        // ACKs 3 ms apart (more than the 2 ms train gap): spread over the round like a paced flight's, never a train.
        for (int i = 0; i < 400; i++)
        {
            now += TimeSpan.FromMilliseconds(3);
            outstanding -= Smss;
            cc.OnAck(now, Smss, outstanding, rtt, rtt);
            outstanding = cc.CongestionWindow;
        }
        Assert.Equal(CongestionWindowLimits.MaxWindow, cc.SlowStartThreshold);
        Assert.Equal(CongestionWindowLimits.InitialWindow(Smss) + (400L * Smss), cc.CongestionWindow);
    }

    [Fact]
    public void HyStart_tracks_rounds_and_rtt_on_acks_that_may_not_grow_the_window()
    {
        // RFC 7661: an application-limited sender must not grow cwnd, but HyStart++ rounds are sequence-space rounds
        // and its RTT samples still count; skipping those ACKs left the byte count of the round behind for good.
        var cc = new Cubic(Mss);
        long cwnd = cc.CongestionWindow;
        var now = Instant.FromSeconds(1);
        for (int round = 0; round < 4; round++)
        {
            // RFC 9406 §4.3 example: 100 ms for three rounds, then 113 ms >= 100 + clamp(100/8, 4, 16) ms.
            var rtt = TimeSpan.FromMilliseconds(round < 3 ? 100 : 113);
            // One round: the 10 segments in flight at its start come back one ACK each and are replaced.
            for (int i = 0; i < 10; i++)
            {
                cc.OnAck(now, Mss, 9 * Mss, rtt, rtt, cwndLimited: false);
            }
            Assert.Equal(round == 3, cc.InConservativeSlowStart);
            now += rtt;
        }
        Assert.Equal(cwnd, cc.CongestionWindow);
        Assert.True(cc.InConservativeSlowStart);
    }
}
