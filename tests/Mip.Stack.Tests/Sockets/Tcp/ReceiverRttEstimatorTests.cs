using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Tcp;

public sealed class ReceiverRttEstimatorTests
{
    private static readonly Instant T0 = Instant.FromSeconds(100);
    private static TimeSpan Us(long us) => TimeSpan.FromTicks(us * TimeSpan.TicksPerMicrosecond);

    [Fact]
    public void Window_sample_is_taken_when_rcv_nxt_passes_the_edge_offered_at_the_start()
    {
        var e = new ReceiverRttEstimator();
        var seq = new TcpSeq(1000);
        e.OnInOrderData(seq, seq + 65536, T0); // starts timing: the edge is 66536
        e.OnInOrderData(seq + 65536, seq + 100_000, T0 + Us(300)); // at the edge, not past it
        Assert.False(e.HasSample);
        e.OnInOrderData(seq + 65537, seq + 200_000, T0 + Us(420)); // past it: 420 µs, and a new measurement
        Assert.Equal(Us(420), e.Rtt);
        // Window samples are upper bounds: a larger one (a sender that paused) leaves the estimate alone...
        e.OnInOrderData(seq + 200_001, seq + 300_000, T0 + Us(5420));
        Assert.Equal(Us(420), e.Rtt);
        // ...a smaller one lowers it at once.
        e.OnInOrderData(seq + 300_001, seq + 400_000, T0 + Us(5520));
        Assert.Equal(Us(100), e.Rtt);
    }

    [Fact]
    public void Timestamp_samples_drop_at_once_and_rise_by_an_eighth()
    {
        var e = new ReceiverRttEstimator();
        e.OnTimestampEcho(tsEcr: 1000, tsNow: 1050); // the handshake's echo: 50 ms
        Assert.Equal(TimeSpan.FromMilliseconds(50), e.Rtt);
        e.OnTimestampEcho(tsEcr: 1060, tsNow: 1062);
        Assert.Equal(TimeSpan.FromMilliseconds(2), e.Rtt);
        e.OnTimestampEcho(tsEcr: 1070, tsNow: 1080); // an application pause: 2 + (10 - 2) / 8
        Assert.Equal(TimeSpan.FromMilliseconds(3), e.Rtt);
        e.OnTimestampEcho(tsEcr: 1090, tsNow: 1092);
        Assert.Equal(TimeSpan.FromMilliseconds(2), e.Rtt);
    }

    [Fact]
    public void Only_the_first_segment_with_an_echo_is_timed()
    {
        var e = new ReceiverRttEstimator();
        e.OnTimestampEcho(tsEcr: 500, tsNow: 503);
        e.OnTimestampEcho(tsEcr: 500, tsNow: 540); // left the peer later, same echo: not an RTT
        Assert.Equal(TimeSpan.FromMilliseconds(3), e.Rtt);
    }

    [Fact]
    public void A_zero_tick_echo_bounds_the_estimate_at_one_tick_without_raising_a_finer_one()
    {
        var e = new ReceiverRttEstimator();
        e.OnTimestampEcho(tsEcr: 1000, tsNow: 1050);
        e.OnTimestampEcho(tsEcr: 1051, tsNow: 1051); // under 1 ms
        Assert.Equal(ReceiverRttEstimator.TimestampGranularity, e.Rtt);

        var seq = new TcpSeq(0);
        e.OnInOrderData(seq, seq + 10_000, T0);
        e.OnInOrderData(seq + 10_001, seq + 20_000, T0 + Us(150)); // the window measurement resolves 150 µs
        Assert.Equal(Us(150), e.Rtt);
        e.OnTimestampEcho(tsEcr: 1052, tsNow: 1052);
        Assert.Equal(Us(150), e.Rtt);
    }

    [Fact]
    public void Echoes_that_are_not_ours_are_ignored()
    {
        var e = new ReceiverRttEstimator();
        e.OnTimestampEcho(tsEcr: 0, tsNow: 10); // no echo
        e.OnTimestampEcho(tsEcr: 2000, tsNow: 1000); // from our future
        e.OnTimestampEcho(tsEcr: 1, tsNow: 1 + 60_000); // a minute old
        Assert.False(e.HasSample);
        Assert.Equal(TimeSpan.Zero, e.Rtt);
        // The clock wraps: 2^32 - 5 to 3 is 8 ms.
        e.OnTimestampEcho(tsEcr: uint.MaxValue - 4, tsNow: 3);
        Assert.Equal(TimeSpan.FromMilliseconds(8), e.Rtt);
    }
}
