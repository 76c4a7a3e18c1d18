namespace Mip.Stack.Pcap;

/// <summary>How to open a <see cref="PcapDevice"/>. Only <see cref="Interface"/> is required.</summary>
public sealed class PcapDeviceOptions
{
    /// <summary>
    /// The interface to capture on and inject into, e.g. <c>my0</c>. Required: there is deliberately no default,
    /// so the stack never lands on the machine's uplink by accident.
    /// </summary>
    public required string Interface { get; init; }

    /// <summary>
    /// A network namespace made with <c>ip netns add NAME</c> (a file under /var/run/netns) that holds
    /// <see cref="Interface"/>; null means the calling process's namespace. Only the capture lives there: the
    /// rest of the process (e.g. a gRPC server) stays where it is.
    /// </summary>
    public string? Namespace { get; init; }

    /// <summary>Kernel capture buffer in bytes. Default 8 MiB: thousands of full-size frames of slack.</summary>
    public int BufferSizeBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// Puts the interface into promiscuous mode. Default false: a veth (and the Linux packet tap in general)
    /// hands every frame that arrives on the interface to packet sockets whatever its destination MAC, so frames
    /// to the stack's own MAC arrive without it (verified by the end-to-end tests). Set it on a physical NIC
    /// whose hardware filter would drop unicast frames to a MAC other than its own.
    /// </summary>
    public bool Promiscuous { get; init; }

    /// <summary>
    /// Frames <see cref="PcapDevice.Transmit"/> queues before they go to the kernel in one sendmmsg(2) (1 to 1024).
    /// Default 64: on a veth every send runs the receiver's input path inside the call, so the per-frame system
    /// call is a large part of the stack thread's time; batching amortises its entry and exit. 1 sends each frame
    /// at once with pcap_inject.
    /// </summary>
    public int TransmitBatchFrames { get; init; } = 64;

    /// <summary>How long <see cref="PcapDevice.IsLinkUp"/> and <see cref="PcapDevice.Mtu"/> may be stale. Default 100 ms.</summary>
    public TimeSpan LinkRefreshInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Tests only: capture both directions instead of only frames received, to show what direction "in" hides.
    /// </summary>
    internal bool CaptureBothDirections { get; init; }
}
