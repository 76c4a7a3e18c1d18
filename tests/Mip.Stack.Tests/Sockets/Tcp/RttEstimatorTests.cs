using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Tcp;

public sealed class RttEstimatorTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);
    private static TimeSpan Us(long us) => TimeSpan.FromTicks(us * 10);

    [Fact]
    public void Initial_rto_is_one_second_without_samples()
    {
        var e = new RttEstimator();
        Assert.False(e.HasSample);
        Assert.Equal(TimeSpan.FromSeconds(1), e.Rto);
    }

    [Fact]
    public void First_and_second_samples_follow_rfc6298_exactly()
    {
        var e = new RttEstimator();
        e.AddSample(Ms(100));
        // §2.2: SRTT = 100, RTTVAR = 50, RTO = 100 + max(G, 4*50) = 300 ms.
        Assert.Equal(Ms(100), e.SmoothedRtt);
        Assert.Equal(Ms(50), e.RttVariance);
        Assert.Equal(Ms(300), e.Rto);
        e.AddSample(Ms(200));
        // §2.3: RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5; SRTT = 7/8*100 + 1/8*200 = 112.5; RTO = 112.5 + 250.
        Assert.Equal(Ms(62.5), e.RttVariance);
        Assert.Equal(Ms(112.5), e.SmoothedRtt);
        Assert.Equal(Ms(362.5), e.Rto);
    }

    [Fact]
    public void Rto_sequence_for_a_fixed_series_of_samples()
    {
        var e = new RttEstimator(minRto: TimeSpan.Zero);
        long[] samplesUs = [40_000, 48_000, 36_000, 120_000, 40_000];
        // Hand-computed with integer microseconds, RTTVAR updated before SRTT (RFC 6298 §2.3).
        long[] expectedRtoUs =
        [
            40_000 + (4 * 20_000),          // srtt 40000, var 20000
            41_000 + (4 * 17_000),          // var (3*20000 + 8000)/4 = 17000, srtt (7*40000 + 48000)/8 = 41000
            40_375 + (4 * 14_000),          // var (3*17000 + 5000)/4 = 14000, srtt (7*41000 + 36000)/8 = 40375
            50_328 + (4 * 30_406),          // var (3*14000 + 79625)/4 = 30406, srtt (7*40375 + 120000)/8 = 50328
            49_037 + (4 * 25_386),          // var (3*30406 + 10328)/4 = 25386, srtt (7*50328 + 40000)/8 = 49037
        ];
        for (int i = 0; i < samplesUs.Length; i++)
        {
            e.AddSample(Us(samplesUs[i]));
            Assert.Equal(Us(expectedRtoUs[i]), e.Rto);
        }
    }

    [Fact]
    public void Minimum_rto_defaults_to_200ms_and_is_configurable()
    {
        var e = new RttEstimator();
        e.AddSample(Ms(1));
        Assert.Equal(Ms(200), e.Rto);
        var rfc = new RttEstimator(minRto: TimeSpan.FromSeconds(1));
        rfc.AddSample(Ms(1));
        Assert.Equal(TimeSpan.FromSeconds(1), rfc.Rto);
    }

    [Fact]
    public void Clock_granularity_floors_the_variance_term()
    {
        var e = new RttEstimator(minRto: TimeSpan.Zero, clockGranularity: Ms(1));
        for (int i = 0; i < 200; i++)
        {
            e.AddSample(Ms(10));
        }
        Assert.Equal(TimeSpan.Zero, e.RttVariance);
        Assert.Equal(Ms(11), e.Rto); // SRTT + max(G, 0)
    }

    [Fact]
    public void Backoff_doubles_up_to_the_cap_and_a_sample_clears_it()
    {
        var e = new RttEstimator();
        e.AddSample(Ms(100)); // RTO 300 ms
        double[] expectedSeconds = [0.6, 1.2, 2.4, 4.8, 9.6, 19.2, 38.4, 60, 60, 60];
        foreach (var s in expectedSeconds)
        {
            e.Backoff();
            Assert.Equal(TimeSpan.FromSeconds(s), e.Rto);
        }
        Assert.Equal(8, e.BackoffCount); // stops counting at the cap
        e.AddSample(Ms(100));
        Assert.Equal(0, e.BackoffCount);
        Assert.True(e.Rto < Ms(300)); // 100 + 4 * 37.5
    }

    [Fact]
    public void Backoff_from_initial_rto()
    {
        var e = new RttEstimator(maxRto: TimeSpan.FromSeconds(120));
        for (int i = 0; i < 100; i++)
        {
            e.Backoff();
        }
        Assert.Equal(TimeSpan.FromSeconds(120), e.Rto);
    }

    [Fact]
    public void Karn_retransmitted_segment_gives_no_sample()
    {
        var e = new RttEstimator();
        var t0 = Instant.FromMilliseconds(1000);
        e.StartTiming(new TcpSeq(1000), t0);
        e.OnRetransmit();
        Assert.False(e.OnAck(new TcpSeq(1000), t0 + Ms(700)));
        Assert.False(e.HasSample);
        Assert.Equal(TimeSpan.FromSeconds(1), e.Rto);
    }

    [Fact]
    public void Backoff_also_stops_timing()
    {
        var e = new RttEstimator();
        e.StartTiming(new TcpSeq(10), Instant.Zero);
        e.Backoff();
        Assert.False(e.IsTiming);
        Assert.False(e.OnAck(new TcpSeq(10), Instant.FromSeconds(3)));
    }

    [Fact]
    public void Timed_segment_is_sampled_when_acknowledged()
    {
        var e = new RttEstimator();
        var t0 = Instant.FromMilliseconds(5000);
        e.StartTiming(new TcpSeq(0xFFFF_FF00), t0);
        e.StartTiming(new TcpSeq(0x100), t0 + Ms(10)); // ignored: one timed segment per RTT
        Assert.False(e.OnAck(new TcpSeq(0xFFFF_FE00), t0 + Ms(20)));
        Assert.True(e.OnAck(new TcpSeq(0x10), t0 + Ms(50))); // across the wrap
        Assert.Equal(Ms(50), e.SmoothedRtt);
        Assert.False(e.IsTiming);
    }

    [Fact]
    public void Per_ack_sampling_scales_the_gains()
    {
        // RFC 7323 Appendix G: with 4 expected samples, alpha = 1/32 and beta = 1/16.
        var e = new RttEstimator(minRto: TimeSpan.Zero);
        e.AddSample(Ms(100), expectedSamples: 4);
        e.AddSample(Ms(200), expectedSamples: 4);
        // RTTVAR = (15*50000 + 100000)/16 = 53125; SRTT = (31*100000 + 200000)/32 = 103125.
        Assert.Equal(Us(53_125), e.RttVariance);
        Assert.Equal(Us(103_125), e.SmoothedRtt);
        Assert.Equal(Us(103_125 + (4 * 53_125)), e.Rto);
    }

    [Fact]
    public void Syn_loss_raises_the_rto_to_three_seconds()
    {
        var e = new RttEstimator();
        e.Backoff();
        e.OnSynRetransmitted();
        Assert.Equal(TimeSpan.FromSeconds(3), e.Rto);
        e.AddSample(Ms(10));
        Assert.Equal(Ms(200), e.Rto);
    }

    [Fact]
    public void Extreme_inputs_stay_bounded()
    {
        var e = new RttEstimator();
        e.AddSample(TimeSpan.MaxValue, int.MaxValue);
        e.AddSample(TimeSpan.MaxValue, int.MaxValue);
        Assert.Equal(TimeSpan.FromSeconds(60), e.Rto);
        e.AddSample(TimeSpan.MinValue);
        Assert.True(e.Rto >= Ms(200) && e.Rto <= TimeSpan.FromSeconds(60));
    }
}
