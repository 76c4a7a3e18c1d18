using System.Diagnostics;
using Mip.Stack.Phy;

namespace Mip.Stack.Tests.Phy;

public sealed class PcapFileTests
{
    // Who-has 192.168.2.1 tell 192.168.2.2 (broadcast), and the reply, as Linux pads them to 60 bytes.
    private static readonly byte[] ArpRequest = Convert.FromHexString(
        "ffffffffffff020000000001080600010800060400010200000000" +
        "01c0a80202000000000000c0a80201000000000000000000000000000000000000");
    private static readonly byte[] ArpReply = Convert.FromHexString(
        "0200000000012a6f1c0e5b3a080600010800060400022a6f1c0e5b" +
        "3ac0a80201020000000001c0a80202000000000000000000000000000000000000");

    private static readonly DateTimeOffset Epoch = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public void Global_header_bytes_are_exact_for_microseconds()
    {
        using var stream = new MemoryStream();
        using (new PcapFileWriter(stream, snapLength: 65535, leaveOpen: true))
        {
        }

        Assert.Equal(
            "d4c3b2a1" + "0200" + "0400" + "00000000" + "00000000" + "ffff0000" + "01000000",
            Convert.ToHexStringLower(stream.ToArray()));
    }

    [Fact]
    public void Global_header_bytes_are_exact_for_nanoseconds()
    {
        using var stream = new MemoryStream();
        using (new PcapFileWriter(stream, PcapTimestampPrecision.Nanoseconds, leaveOpen: true))
        {
        }

        Assert.Equal(
            "4d3cb2a1" + "0200" + "0400" + "00000000" + "00000000" + "00000400" + "01000000",
            Convert.ToHexStringLower(stream.ToArray()));
    }

    [Fact]
    public void Record_bytes_are_exact()
    {
        using var stream = new MemoryStream();
        using (var writer = new PcapFileWriter(stream, leaveOpen: true))
        {
            // 2024-01-02T03:04:05Z is 1704164645 = 0x6593_7D25 seconds; .123456 s = 0x0001_E240 µs.
            writer.Write(Epoch.AddTicks(1_234_560), [0xde, 0xad, 0xbe, 0xef]);
        }

        Assert.Equal(
            "257d9365" + "40e20100" + "04000000" + "04000000" + "deadbeef",
            Convert.ToHexStringLower(stream.ToArray().AsSpan(PcapFileWriter.GlobalHeaderLength)));
    }

    [Fact]
    public void Snap_length_cuts_the_stored_bytes_but_keeps_the_original_length()
    {
        using var stream = new MemoryStream();
        var frame = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        using (var writer = new PcapFileWriter(stream, snapLength: 64, leaveOpen: true))
        {
            writer.Write(Epoch, frame);
        }

        stream.Position = 0;
        Assert.True(PcapFileReader.TryOpen(stream, out var reader));
        var record = Assert.Single(reader!.ReadAll());
        Assert.Equal(100, record.OriginalLength);
        Assert.Equal(frame.Take(64), record.Data);
        Assert.False(reader.IsTruncated);
    }

    [Fact]
    public void Device_records_both_directions_with_clock_timestamps_and_round_trips()
    {
        var link = new InMemoryLink();
        var clock = new FakeClock { Now = Instant.FromSeconds(1.5) };
        using var stream = new MemoryStream();
        var rng = new Random(5);
        var frames = Enumerable.Range(0, 6).Select(i =>
        {
            var f = new byte[rng.Next(60, 1515)];
            rng.NextBytes(f);
            return f;
        }).ToList();

        using (var writer = new PcapFileWriter(stream, PcapTimestampPrecision.Nanoseconds, leaveOpen: true))
        {
            var device = new PcapWriterDevice(link.A, writer, clock.Read, Epoch);
            var received = new List<byte[]>();
            for (int i = 0; i < frames.Count; i++)
            {
                if (i % 2 == 0)
                {
                    link.A.Inject(frames[i]);
                    Assert.Equal(1, device.Receive(f => received.Add(f.ToArray()), 8));
                }
                else
                {
                    Assert.True(device.Transmit(frames[i]));
                }
                clock.Advance(TimeSpan.FromMicroseconds(1234));
            }
            Assert.Equal(6, device.CapturedFrames);
            Assert.Equal([frames[0], frames[2], frames[4]], received);
            Assert.True(link.B.TryTake(out var sent));
            Assert.Equal(frames[1], sent);
        }

        stream.Position = 0;
        Assert.True(PcapFileReader.TryOpen(stream, out var reader));
        Assert.Equal(PcapTimestampPrecision.Nanoseconds, reader!.Precision);
        Assert.Equal((ushort)2, reader.VersionMajor);
        Assert.Equal((ushort)4, reader.VersionMinor);
        Assert.Equal(1u, reader.LinkType);
        var records = reader.ReadAll().ToList();
        Assert.Equal(frames, records.Select(r => r.Data));
        Assert.Equal(frames.Select(f => f.Length), records.Select(r => r.OriginalLength));
        Assert.Equal(
            Enumerable.Range(0, 6).Select(i => Epoch + TimeSpan.FromSeconds(1.5) + TimeSpan.FromMicroseconds(1234 * i)),
            records.Select(r => r.Timestamp));
        Assert.False(reader.IsTruncated);
    }

    [Fact]
    public void Reader_handles_big_endian_files()
    {
        byte[] file = Convert.FromHexString(
            "a1b2c3d4" + "0002" + "0004" + "00000000" + "00000000" + "0000ffff" + "00000001" +
            "00000010" + "00000020" + "00000002" + "0000003c" + "abcd");

        Assert.True(PcapFileReader.TryOpen(new MemoryStream(file), out var reader));
        Assert.True(reader!.IsBigEndian);
        var record = Assert.Single(reader.ReadAll());
        Assert.Equal((16 * 1_000_000_000L) + 32_000, record.UnixNanoseconds);
        Assert.Equal(60, record.OriginalLength);
        Assert.Equal([0xab, 0xcd], record.Data);
    }

    [Fact]
    public void Reader_refuses_bad_magic_and_stops_at_a_truncated_record()
    {
        Assert.False(PcapFileReader.TryOpen(new MemoryStream(new byte[24]), out _));
        Assert.False(PcapFileReader.TryOpen(new MemoryStream(new byte[10]), out _));

        using var stream = new MemoryStream();
        using (var writer = new PcapFileWriter(stream, leaveOpen: true))
        {
            writer.Write(Epoch, ArpRequest);
            writer.Write(Epoch, ArpReply);
        }
        var cut = stream.ToArray()[..^5];
        Assert.True(PcapFileReader.TryOpen(new MemoryStream(cut), out var reader));
        Assert.Single(reader!.ReadAll());
        Assert.True(reader.IsTruncated);
    }

    [Fact]
    public void Flushes_at_most_once_per_interval_of_record_time()
    {
        using var stream = new FlushCountingStream();
        using var writer = new PcapFileWriter(stream, leaveOpen: true, flushInterval: TimeSpan.FromSeconds(1));
        Assert.Equal(1, stream.Flushes); // the header

        writer.Write(Epoch, ArpRequest);                                   // first record flushes
        writer.Write(Epoch + TimeSpan.FromMilliseconds(500), ArpRequest);  // within the interval: no
        writer.Write(Epoch + TimeSpan.FromMilliseconds(999), ArpRequest);
        Assert.Equal(2, stream.Flushes);
        writer.Write(Epoch + TimeSpan.FromSeconds(1), ArpRequest);
        Assert.Equal(3, stream.Flushes);
    }

    [Fact]
    public void Capture_stops_without_breaking_the_link_when_the_stream_fails()
    {
        var link = new InMemoryLink();
        var stream = new MemoryStream();
        var writer = new PcapFileWriter(stream);
        var device = new PcapWriterDevice(link.A, writer, () => Instant.Zero, Epoch);
        writer.Dispose();

        Assert.True(device.Transmit(ArpRequest));
        Assert.IsType<ObjectDisposedException>(device.CaptureError);
        Assert.Equal(0, device.CapturedFrames);
        Assert.True(link.B.TryTake(out _));
    }

    [Fact]
    public async Task Tshark_parses_the_written_frames()
    {
        const string tshark = "/usr/bin/tshark";
        string? path = File.Exists(tshark)
            ? tshark
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "tshark")).FirstOrDefault(File.Exists);
        Assert.SkipWhen(path is null, "tshark is not installed; cannot cross-check the pcap output");

        string file = Path.Combine(Path.GetTempPath(), $"mip-pcap-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var writer = new PcapFileWriter(File.Create(file)))
            {
                writer.Write(Epoch, ArpRequest);
                writer.Write(Epoch + TimeSpan.FromMilliseconds(1), ArpReply);
            }

            var start = new ProcessStartInfo(path!)
            {
                ArgumentList = { "-r", file, "-T", "fields", "-e", "eth.type", "-e", "arp.opcode", "-e", "arp.src.proto_ipv4" },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            string stdout = await process.StandardOutput.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"tshark failed: {await stderr}");

            Assert.Equal(
                ["0x0806\t1\t192.168.2.2", "0x0806\t2\t192.168.2.1"],
                stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private sealed class FlushCountingStream : MemoryStream
    {
        public int Flushes { get; private set; }

        public override void Flush()
        {
            Flushes++;
            base.Flush();
        }
    }
}
