using System.Diagnostics;
using Mip.EndToEnd.Tests.Lab;
using Mip.Stack.Pcap;
using Mip.Stack.Phy;
using Mip.Stack.Wire;

namespace Mip.EndToEnd.Tests.Pcap;

/// <summary>The pcap device against the Linux kernel over a private veth (see <see cref="LabNetwork"/>).</summary>
public sealed class PcapDeviceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);
    private static readonly Ipv4Address StackIp = new(192, 168, 2, 77);

    private delegate bool FramePredicate(ReadOnlySpan<byte> frame);

    [Fact]
    public void Kernel_answers_an_arp_request_sent_through_the_device_without_promiscuous_mode()
    {
        using var lab = LabNetwork.Create();
        using var device = OpenStackSide(lab);
        Assert.True(device.IsLinkUp);
        Assert.Equal(1500, device.Mtu);
        // The stack's MAC is not my0's: the reply is addressed to a MAC the interface does not own.
        Assert.NotEqual(lab.StackInterfaceMac, Frames.StackMac);

        var sw = Stopwatch.StartNew();
        Assert.True(device.Transmit(Frames.ArpRequest(Frames.StackMac, StackIp, LabNetwork.KernelAddress)));
        device.Flush();
        bool replied = ReceiveUntil(device, f => Frames.IsArpReply(f, LabNetwork.KernelAddress, lab.KernelMac, Frames.StackMac), Deadline);

        Assert.True(replied, $"no ARP reply from {LabNetwork.KernelAddress} within {Deadline.TotalSeconds} s");
        output.WriteLine($"ARP reply after {sw.Elapsed.TotalMicroseconds:F0} us");
        // Promiscuous mode stayed off: a veth hands every arriving frame to packet sockets regardless of destination.
        Assert.DoesNotContain("PROMISC", lab.RunStack("ip", "link", "show", LabNetwork.StackInterface).EnsureSuccess().Stdout, StringComparison.Ordinal);
        var stats = device.Statistics;
        Assert.Equal(1, stats.FramesSent);
        Assert.Equal(60, stats.BytesSent);
        Assert.True(stats.FramesReceived >= 1);
        // The kernel learned our address from the request (RFC 826 merge), so it sees the MAC we used.
        Assert.Contains(Frames.StackMac.ToString(), lab.RunKernel("ip", "neigh", "show", StackIp.ToString()).Stdout, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Frames_the_stack_sends_are_not_received_back_while_arriving_frames_are()
    {
        using var lab = LabNetwork.Create();
        using var sender = OpenStackSide(lab);
        using var sibling = OpenStackSide(lab);
        using var bothWays = PcapDevice.Open(new PcapDeviceOptions
        {
            Interface = LabNetwork.StackInterface,
            Namespace = lab.StackNamespace,
            CaptureBothDirections = true,
        });
        using var peer = PcapDevice.Open(new PcapDeviceOptions { Interface = LabNetwork.KernelInterface, Namespace = lab.KernelNamespace });

        const ulong outgoing = 0x6f75_7467_6f69_6e67;
        Assert.True(sender.Transmit(Frames.Marked(lab.KernelMac, Frames.StackMac, outgoing)));
        sender.Flush();
        Assert.True(ReceiveUntil(peer, f => Frames.HasMarker(f, outgoing), Deadline), "the kernel side never saw the frame");

        // The packet taps on my0 ran before the veth handed the frame to my1, so whatever would see it has it now.
        Assert.Equal(0, CountMarked(sender, outgoing));
        Assert.Equal(0, CountMarked(sibling, outgoing));
        // Without direction "in", another socket on the same interface does see the outgoing frame: the filter matters.
        Assert.Equal(1, CountMarked(bothWays, outgoing));

        const ulong incoming = 0x696e_636f_6d69_6e67;
        Assert.True(peer.Transmit(Frames.Marked(Frames.StackMac, lab.KernelMac, incoming)));
        peer.Flush();
        Assert.True(ReceiveUntil(sender, f => Frames.HasMarker(f, incoming), Deadline), "an arriving frame was not received");
        Assert.True(ReceiveUntil(sibling, f => Frames.HasMarker(f, incoming), Deadline), "an arriving frame was not received by the second handle");
    }

    [Fact]
    public void Link_state_follows_the_kernel_side_carrier()
    {
        using var lab = LabNetwork.Create();
        using var device = OpenStackSide(lab);
        Assert.True(device.IsLinkUp);

        lab.SetKernelLinkUp(false);
        var down = WaitFor(() => !device.IsLinkUp, Deadline);
        Assert.True(down.HasValue, "IsLinkUp stayed true after my1 went down");

        lab.SetKernelLinkUp(true);
        var up = WaitFor(() => device.IsLinkUp, Deadline);
        Assert.True(up.HasValue, "IsLinkUp stayed false after my1 came back up");
        output.WriteLine($"link down seen after {down.Value.TotalMilliseconds:F1} ms, up after {up.Value.TotalMilliseconds:F1} ms");
    }

    [Fact]
    public void Oversize_and_runt_frames_are_refused_and_counted_while_a_full_size_frame_goes_out()
    {
        using var lab = LabNetwork.Create();
        using var device = OpenStackSide(lab);
        using var peer = PcapDevice.Open(new PcapDeviceOptions { Interface = LabNetwork.KernelInterface, Namespace = lab.KernelNamespace });
        int max = device.Mtu + PcapDevice.EthernetHeaderLength;

        Assert.False(device.Transmit(Frames.Marked(lab.KernelMac, Frames.StackMac, 1, max + 1)));
        Assert.False(device.Transmit(new byte[PcapDevice.EthernetHeaderLength - 1]));
        Assert.True(device.Transmit(Frames.Marked(lab.KernelMac, Frames.StackMac, 2, max)));
        device.Flush();

        int receivedLength = 0;
        Assert.True(ReceiveUntil(peer, f =>
        {
            receivedLength = f.Length;
            return Frames.HasMarker(f, 2);
        }, Deadline));
        Assert.Equal(max, receivedLength);
        var stats = device.Statistics;
        Assert.Equal(2, stats.OversizeDrops);
        Assert.Equal(1, stats.FramesSent);
        Assert.Equal(0, stats.SendFailures);
    }

    [Fact]
    public void Missing_interface_and_namespace_give_errors_that_say_what_exists()
    {
        using var lab = LabNetwork.Create();

        var noInterface = Assert.Throws<PcapDeviceException>(() =>
            PcapDevice.Open(new PcapDeviceOptions { Interface = "nosuch0", Namespace = lab.StackNamespace }));
        Assert.Equal(PcapErrorKind.InterfaceNotFound, noInterface.Kind);
        Assert.Contains("nosuch0", noInterface.Message, StringComparison.Ordinal);
        Assert.Contains(lab.StackNamespace, noInterface.Message, StringComparison.Ordinal);
        // The listing comes from inside the namespace: my0 is there, the host's interfaces are not.
        Assert.Contains(LabNetwork.StackInterface, noInterface.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("eth0", noInterface.Message, StringComparison.Ordinal);
        output.WriteLine(noInterface.Message);

        string missing = lab.Name + "-nope";
        var noNamespace = Assert.Throws<PcapDeviceException>(() =>
            PcapDevice.Open(new PcapDeviceOptions { Interface = LabNetwork.StackInterface, Namespace = missing }));
        Assert.Equal(PcapErrorKind.NamespaceNotFound, noNamespace.Kind);
        Assert.Contains(missing, noNamespace.Message, StringComparison.Ordinal);
        Assert.Contains(lab.StackNamespace, noNamespace.Message, StringComparison.Ordinal);
        output.WriteLine(noNamespace.Message);

        Assert.Throws<ArgumentException>(() => PcapDevice.Open(new PcapDeviceOptions { Interface = "", Namespace = lab.StackNamespace }));
        Assert.Throws<ArgumentException>(() => PcapDevice.Open(new PcapDeviceOptions { Interface = "my0", Namespace = "../etc" }));
    }

    [Fact]
    public void Wait_returns_on_an_eventfd_signal_and_on_frames()
    {
        using var lab = LabNetwork.Create();
        using var device = OpenStackSide(lab);
        using var wake = new EventFd();

        Assert.Equal(WaitResult.Timeout, device.Wait(0, wake.Fd));
        var signaller = new Thread(wake.Signal);
        var sw = Stopwatch.StartNew();
        signaller.Start();
        var result = device.Wait((int)Deadline.TotalMilliseconds, wake.Fd);
        signaller.Join();
        Assert.Equal(WaitResult.Wake, result & WaitResult.Wake);
        Assert.True(sw.Elapsed < Deadline);
        Assert.True(wake.Drain());
        Assert.False(wake.Drain());

        Assert.True(device.Transmit(Frames.ArpRequest(Frames.StackMac, StackIp, LabNetwork.KernelAddress)));
        Assert.Equal(WaitResult.Frames, device.Wait((int)Deadline.TotalMilliseconds, wake.Fd));
    }

    [Fact]
    public void Receive_rate_from_a_kernel_side_blast()
    {
        const int count = 200_000;
        using var lab = LabNetwork.Create();
        using var device = OpenStackSide(lab);
        string script = Path.Combine(AppContext.BaseDirectory, "blast.py");
        var blaster = lab.Start(lab.KernelNamespace, "blast", "python3", script,
            LabNetwork.KernelInterface, Frames.StackMac.ToString(), lab.KernelMac.ToString(), count.ToString(System.Globalization.CultureInfo.InvariantCulture));

        long received = 0;
        long firstTick = 0, lastTick = 0;
        FrameHandler handler = frame =>
        {
            if (frame.Length >= 14 && frame[12] == 0x88 && frame[13] == 0xB5)
            {
                received++;
            }
        };
        long allocated = 0;
        var overall = Stopwatch.StartNew();
        while (overall.Elapsed < TimeSpan.FromSeconds(60))
        {
            if ((device.Wait(100) & WaitResult.Frames) == 0)
            {
                // Quiet for 100 ms: done once the sender has finished.
                if (blaster.HasExited)
                {
                    break;
                }
                continue;
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            long got = received;
            device.Receive(handler, 512);
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            if (received != got)
            {
                lastTick = Stopwatch.GetTimestamp();
                if (firstTick == 0)
                {
                    firstTick = lastTick;
                }
            }
        }
        Assert.True(blaster.WaitForExit(TimeSpan.FromSeconds(10)), "the sender did not finish");
        Assert.True(blaster.ExitCode == 0, blaster.Output);
        var stats = device.Statistics;
        double seconds = Stopwatch.GetElapsedTime(firstTick, lastTick).TotalSeconds;
        output.WriteLine($"sender: {blaster.Output.Trim()}");
        output.WriteLine($"received {received} of {count} frames in {seconds:F3} s = {received / Math.Max(seconds, 1e-9):F0} frames/s; " +
            $"pcap kernel drops {stats.KernelDrops}, interface drops {stats.InterfaceDrops}; managed bytes allocated while receiving: {allocated}");
        Measurements.Report("pcap device receive (kernel AF_PACKET sender -> PcapDevice.Receive)",
            $"{received} of {count} frames at {received / Math.Max(seconds, 1e-9):F0} frames/s, kernel drops {stats.KernelDrops}, {allocated} bytes allocated in all; sender: {blaster.Output.Trim()}");

        Assert.True(received > count / 2, $"only {received} of {count} frames arrived (kernel drops {stats.KernelDrops})");
        // Zero-copy, zero-allocation hot path: a few bytes of one-time runtime work at most, nothing per frame.
        Assert.True(allocated < 4096, $"{allocated} bytes allocated while receiving {received} frames");
    }

    private static PcapDevice OpenStackSide(LabNetwork lab) =>
        PcapDevice.Open(new PcapDeviceOptions { Interface = LabNetwork.StackInterface, Namespace = lab.StackNamespace });

    /// <summary>Sleeps in poll(2) on the device and feeds frames to <paramref name="match"/> until it says yes or time runs out.</summary>
    private static bool ReceiveUntil(PcapDevice device, FramePredicate match, TimeSpan timeout)
    {
        bool found = false;
        FrameHandler handler = frame => found |= match(frame);
        var sw = Stopwatch.StartNew();
        while (!found)
        {
            var left = timeout - sw.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                break;
            }
            if (device.WaitForFrames(left))
            {
                device.Receive(handler, 64);
            }
        }
        return found;
    }

    /// <summary>Non-blocking: counts the marked frames already waiting on <paramref name="device"/>.</summary>
    private static int CountMarked(PcapDevice device, ulong marker)
    {
        int n = 0;
        device.Receive(frame => n += Frames.HasMarker(frame, marker) ? 1 : 0, 1024);
        return n;
    }

    /// <summary>Polls a cheap condition every 2 ms up to <paramref name="timeout"/>; returns how long it took.</summary>
    private static TimeSpan? WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (condition())
            {
                return sw.Elapsed;
            }
            Thread.Sleep(2);
        }
        return null;
    }
}
