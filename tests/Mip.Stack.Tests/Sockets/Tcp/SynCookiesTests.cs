using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Tcp;

public sealed class SynCookiesTests
{
    private static readonly Ipv4Endpoint Local = new(new Ipv4Address(192, 168, 2, 10), 80);
    private static readonly Ipv4Endpoint Remote = new(new Ipv4Address(192, 168, 2, 1), 51515);
    private static readonly TcpSeq ClientIsn = new(0x0308e9ff);
    private static readonly Instant T = Instant.FromSeconds(64 * 1000 + 10);

    [Theory]
    [InlineData(1460, 1460)]
    [InlineData(9000, 1460)]
    [InlineData(1459, 1440)]
    [InlineData(1400, 1300)]
    [InlineData(1299, 536)]
    [InlineData(100, 536)]
    [InlineData(0, 536)]
    public void Encodes_the_largest_table_mss_not_above_the_clients(int clientMss, int expected)
    {
        var cookies = new SynCookies(new Random(4987));
        var isn = cookies.Encode(Local, Remote, ClientIsn, (ushort)clientMss, T, out ushort mss);
        Assert.Equal(expected, mss);
        Assert.True(cookies.TryValidate(Local, Remote, ClientIsn + 1, isn + 1, T, out ushort back));
        Assert.Equal(expected, back);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(53, true)]    // still the same slot
    [InlineData(54, true)]    // next slot
    [InlineData(181, true)]   // two slots later
    [InlineData(182, false)]  // three slots later: expired
    [InlineData(-11, false)]  // from a slot in the future
    public void Accepted_for_two_slots_after_its_own(int secondsLater, bool valid)
    {
        var cookies = new SynCookies(new Random(1));
        var isn = cookies.Encode(Local, Remote, ClientIsn, 1460, T, out _);
        Assert.Equal(valid,
            cookies.TryValidate(Local, Remote, ClientIsn + 1, isn + 1, T + TimeSpan.FromSeconds(secondsLater), out _));
    }

    [Fact]
    public void Valid_across_the_8_bit_slot_wrap()
    {
        var cookies = new SynCookies(new Random(3));
        var t = Instant.FromSeconds(64 * 255 + 30);
        var isn = cookies.Encode(Local, Remote, ClientIsn, 1440, t, out _);
        Assert.True(cookies.TryValidate(Local, Remote, ClientIsn + 1, isn + 1, t + TimeSpan.FromSeconds(64), out ushort mss));
        Assert.Equal(1440, mss);
    }

    [Fact]
    public void Tampering_with_tuple_sequence_or_cookie_fails()
    {
        var cookies = new SynCookies(new Random(7));
        var isn = cookies.Encode(Local, Remote, ClientIsn, 1460, T, out _);
        Assert.False(cookies.TryValidate(Local, Remote with { Port = 51516 }, ClientIsn + 1, isn + 1, T, out _));
        Assert.False(cookies.TryValidate(Local with { Address = new Ipv4Address(192, 168, 2, 11) }, Remote,
            ClientIsn + 1, isn + 1, T, out _));
        Assert.False(cookies.TryValidate(Local, Remote, ClientIsn + 2, isn + 1, T, out _));
        Assert.False(cookies.TryValidate(Local, Remote, ClientIsn + 1, isn + 2, T, out _));
        // Off-by-one SEG.ACK on a cookie for the smallest MSS must not validate as the next MSS in the table.
        var small = cookies.Encode(Local, Remote, ClientIsn, 536, T, out _);
        Assert.False(cookies.TryValidate(Local, Remote, ClientIsn + 1, small + 2, T, out _));
        Assert.False(new SynCookies(new Random(8)).TryValidate(Local, Remote, ClientIsn + 1, isn + 1, T, out _));
    }

    [Fact]
    public void Blind_forgeries_are_refused()
    {
        var cookies = new SynCookies(new Random(11));
        var rng = new Random(12);
        int accepted = 0;
        for (int i = 0; i < 200_000; i++)
        {
            var seq = new TcpSeq((uint)rng.NextInt64(0, 1L << 32));
            var ack = new TcpSeq((uint)rng.NextInt64(0, 1L << 32));
            if (cookies.TryValidate(Local, Remote, seq, ack, T, out _))
            {
                accepted++;
            }
        }
        // Expected acceptance is 3 slots/256 × 4/2^24 ≈ 2.8e-9 per try: effectively never.
        Assert.Equal(0, accepted);
    }

    [Fact]
    public void Cookies_differ_per_client_and_per_slot()
    {
        var cookies = new SynCookies(new Random(5));
        var a = cookies.Encode(Local, Remote, ClientIsn, 1460, T, out _);
        var b = cookies.Encode(Local, Remote with { Port = 51516 }, ClientIsn, 1460, T, out _);
        var c = cookies.Encode(Local, Remote, ClientIsn, 1460, T + TimeSpan.FromSeconds(64), out _);
        Assert.NotEqual(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(0x12345678u)]
    [InlineData(0x12345640u)]   // low bits zero: the options alone would be above the clock
    [InlineData(0xFFFFFFFFu)]
    [InlineData(0x0000003Fu)]
    public void Timestamp_carries_every_window_scale_and_sack_and_is_never_ahead_of_the_clock(uint tsNow)
    {
        foreach (byte? ws in (byte?[])[null, 0, 1, 7, 13, 14])
        {
            foreach (bool sack in (bool[])[false, true])
            {
                uint tsVal = SynCookies.EncodeTimestamp(tsNow, ws, sack);
                uint behind = unchecked(tsNow - tsVal);
                Assert.True(behind < 128, $"TSval {tsVal:x} is not just behind {tsNow:x}");
                Assert.True(SynCookies.TryDecodeTimestamp(tsVal, unchecked(tsNow + 1500), out var backWs, out bool backSack));
                Assert.Equal((ws, sack), (backWs, backSack));
            }
        }
    }

    [Fact]
    public void Timestamp_echoes_from_the_future_too_old_or_malformed_are_refused()
    {
        const uint now = 50_000_000;
        uint good = SynCookies.EncodeTimestamp(now, 7, true);
        Assert.True(SynCookies.TryDecodeTimestamp(good, now, out _, out _));
        Assert.False(SynCookies.TryDecodeTimestamp(good + 1000, now, out _, out _));           // ahead of our clock
        Assert.True(SynCookies.TryDecodeTimestamp(good, now + 190_000, out _, out _));        // within the cookie's life
        Assert.False(SynCookies.TryDecodeTimestamp(good, now + 200_000, out _, out _));       // older than any cookie
        Assert.False(SynCookies.TryDecodeTimestamp((good & ~0x3Fu) | 0x20 | 7, now, out _, out _)); // bit 5 set
    }

    [Fact]
    public void Timestamp_offset_is_per_tuple_and_stable()
    {
        var cookies = new SynCookies(new Random(9));
        Assert.Equal(cookies.TimestampOffset(Local, Remote), cookies.TimestampOffset(Local, Remote));
        Assert.NotEqual(cookies.TimestampOffset(Local, Remote), cookies.TimestampOffset(Local, Remote with { Port = 51516 }));
        Assert.NotEqual(cookies.TimestampOffset(Local, Remote), new SynCookies(new Random(10)).TimestampOffset(Local, Remote));
    }
}
