using System.Buffers.Binary;
using System.Diagnostics;
using Mip.EndToEnd.Tests.Lab;
using Mip.Stack.Pcap;
using Mip.Stack.Phy;

namespace Mip.EndToEnd.Tests.Pcap;

/// <summary>
/// The pcap device's batched transmit (sendmmsg on flush, batch full or before a wait) against the kernel over a
/// private veth: what the kernel side sees, what the stack side must not see, and what happens at the limits.
/// </summary>
public sealed class PcapTransmitBatchTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    [Fact]
    public void Batched_frames_arrive_intact_and_in_order_and_only_after_the_flush()
    {
        using var lab = LabNetwork.Create();
        using var device = Open(lab, batch: 64);
        using var peer = PcapDevice.Open(new PcapDeviceOptions { Interface = LabNetwork.KernelInterface, Namespace = lab.KernelNamespace });
        int max = device.Mtu + PcapDevice.EthernetHeaderLength;
        const int count = 150; // two full batches go out by themselves, 22 frames wait for the flush
        var sent = new List<byte[]>();
        for (int i = 0; i < count; i++)
        {
            // Lengths from the 60-byte minimum to a full-size frame, payload a pattern unique to the frame.
            var frame = Frames.Marked(lab.KernelMac, Frames.StackMac, Marker(i), 60 + (i * 97 % (max - 59)));
            for (int j = 22; j < frame.Length; j++)
            {
                frame[j] = (byte)(i * 31 + j);
            }
            sent.Add(frame.ToArray());
            Assert.True(device.Transmit(frame));
            Array.Clear(frame); // the device copied it: reusing the buffer (as the stack does) changes nothing
        }
        Assert.Equal(count % 64, device.PendingTransmits);
        var beforeFlush = Collect(peer, count, TimeSpan.FromMilliseconds(300));
        Assert.Equal(count - count % 64, beforeFlush.Count);

        device.Flush();

        Assert.Equal(0, device.PendingTransmits);
        var received = beforeFlush.Concat(Collect(peer, count - beforeFlush.Count, Deadline)).ToList();
        Assert.Equal(count, received.Count);
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(sent[i], received[i]);
        }
        var stats = device.Statistics;
        Assert.Equal(count, stats.FramesSent);
        Assert.Equal(sent.Sum(f => (long)f.Length), stats.BytesSent);
        Assert.Equal(0, stats.SendFailures);
        // Three sendmmsg calls for 150 frames (the veth takes every frame of a batch in one go).
        Assert.Equal(3, stats.TransmitCalls);
    }

    [Fact]
    public void Batched_frames_are_not_received_back_by_the_sender_while_a_both_ways_capture_sees_them()
    {
        using var lab = LabNetwork.Create();
        using var sender = Open(lab, batch: 64);
        using var bothWays = PcapDevice.Open(new PcapDeviceOptions
        {
            Interface = LabNetwork.StackInterface,
            Namespace = lab.StackNamespace,
            CaptureBothDirections = true,
        });
        using var peer = PcapDevice.Open(new PcapDeviceOptions { Interface = LabNetwork.KernelInterface, Namespace = lab.KernelNamespace });

        for (int i = 0; i < 10; i++)
        {
            Assert.True(sender.Transmit(Frames.Marked(lab.KernelMac, Frames.StackMac, Marker(i))));
        }
        sender.Flush();
        Assert.Equal(10, Collect(peer, 10, Deadline).Count);

        // The packet taps on my0 ran before the veth handed the frames over: whatever would see them has them now.
        Assert.Empty(Collect(sender, 10, TimeSpan.Zero));
        Assert.Equal(10, Collect(bothWays, 10, TimeSpan.Zero).Count);
    }

    [Fact]
    public void An_oversize_frame_is_refused_without_entering_the_batch()
    {
        using var lab = LabNetwork.Create();
        using var device = Open(lab, batch: 64);
        int max = device.Mtu + PcapDevice.EthernetHeaderLength;

        Assert.True(device.Transmit(Frames.Marked(lab.KernelMac, Frames.StackMac, Marker(0))));
        Assert.False(device.Transmit(Frames.Marked(lab.KernelMac, Frames.StackMac, Marker(1), max + 1)));
        Assert.False(device.Transmit(new byte[PcapDevice.EthernetHeaderLength - 1]));

        Assert.Equal(1, device.PendingTransmits);
        device.Flush();
        var stats = device.Statistics;
        Assert.Equal(2, stats.OversizeDrops);
        Assert.Equal(1, stats.FramesSent);
    }

    [Fact]
    public void A_full_batch_goes_out_at_once_and_a_wait_sends_what_is_queued_before_sleeping()
    {
        using var lab = LabNetwork.Create();
        using var device = Open(lab, batch: 4);
        using var peer = PcapDevice.Open(new PcapDeviceOptions { Interface = LabNetwork.KernelInterface, Namespace = lab.KernelNamespace });

        for (int i = 0; i < 4; i++)
        {
            Assert.True(device.Transmit(Frames.Marked(lab.KernelMac, Frames.StackMac, Marker(i))));
        }
        // The fourth frame filled the batch: it went out inside that Transmit, not held back nor blocking.
        Assert.Equal(0, device.PendingTransmits);
        Assert.Equal(4, device.Statistics.FramesSent);
        Assert.Equal(4, Collect(peer, 4, Deadline).Count);

        Assert.True(device.Transmit(Frames.Marked(lab.KernelMac, Frames.StackMac, Marker(4))));
        Assert.Equal(1, device.PendingTransmits);
        _ = device.Wait(0);
        Assert.Equal(0, device.PendingTransmits);
        Assert.Single(Collect(peer, 1, Deadline));
    }

    [Fact]
    public void Frames_the_kernel_refuses_at_flush_are_counted_and_the_batch_empties()
    {
        using var lab = LabNetwork.Create();
        using var device = Open(lab, batch: 64);
        Assert.True(device.Transmit(Frames.Marked(lab.KernelMac, Frames.StackMac, Marker(0))));
        device.Flush();
        Assert.Equal(1, device.Statistics.FramesSent);

        // Administratively down: the packet socket's send fails with ENETDOWN for every frame.
        lab.RunStack("ip", "link", "set", LabNetwork.StackInterface, "down").EnsureSuccess();
        for (int i = 1; i <= 5; i++)
        {
            Assert.True(device.Transmit(Frames.Marked(lab.KernelMac, Frames.StackMac, Marker(i))));
        }
        var sw = Stopwatch.StartNew();
        device.Flush();

        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"flush took {sw.Elapsed}");
        Assert.Equal(0, device.PendingTransmits);
        var stats = device.Statistics;
        Assert.Equal(5, stats.SendFailures);
        Assert.Equal(1, stats.FramesSent);
    }

    [Fact]
    public void A_batch_size_outside_1_to_1024_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => PcapDevice.Open(new PcapDeviceOptions { Interface = "my0", TransmitBatchFrames = 0 }));
        Assert.Throws<ArgumentException>(() => PcapDevice.Open(new PcapDeviceOptions { Interface = "my0", TransmitBatchFrames = 1025 }));
    }

    private static ulong Marker(int i) => 0x6261_7463_6800_0000UL + (ulong)i;

    private static PcapDevice Open(LabNetwork lab, int batch) => PcapDevice.Open(new PcapDeviceOptions
    {
        Interface = LabNetwork.StackInterface,
        Namespace = lab.StackNamespace,
        TransmitBatchFrames = batch,
    });

    /// <summary>Copies the marked frames that arrive within <paramref name="timeout"/>, up to <paramref name="limit"/>, in arrival order.</summary>
    private static List<byte[]> Collect(PcapDevice device, int limit, TimeSpan timeout)
    {
        var frames = new List<byte[]>();
        FrameHandler handler = frame =>
        {
            if (frame.Length >= 22 && (BinaryPrimitives.ReadUInt64BigEndian(frame[14..]) & ~0xFFFFFFUL) == Marker(0))
            {
                frames.Add(frame.ToArray());
            }
        };
        var sw = Stopwatch.StartNew();
        do
        {
            device.Receive(handler, 256);
            if (frames.Count >= limit)
            {
                break;
            }
            var left = timeout - sw.Elapsed;
            if (left <= TimeSpan.Zero || !device.WaitForFrames(left))
            {
                device.Receive(handler, 256);
                break;
            }
        }
        while (true);
        return frames;
    }
}
