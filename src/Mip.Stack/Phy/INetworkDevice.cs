namespace Mip.Stack.Phy;

/// <summary>Receives one frame. The span is valid only for the duration of the call (zero-copy from the driver).</summary>
public delegate void FrameHandler(ReadOnlySpan<byte> frame);

/// <summary>
/// The link the stack runs on: raw Ethernet II frames in and out. Deliberately tiny (smoltcp's device trait):
/// drivers (pcap, in-memory link) implement it, and wrappers (fault injection, pcap file writer) compose it.
/// </summary>
public interface INetworkDevice
{
    /// <summary>IP MTU of the link in bytes (Ethernet payload; 1500 for standard Ethernet).</summary>
    int Mtu { get; }

    /// <summary>Whether the link has carrier. The stack reports changes as events.</summary>
    bool IsLinkUp { get; }

    /// <summary>
    /// Hands up to <paramref name="maxFrames"/> pending frames to <paramref name="handler"/>, each valid only
    /// during its call. Returns how many were delivered; 0 when nothing is pending. Never blocks.
    /// </summary>
    int Receive(FrameHandler handler, int maxFrames);

    /// <summary>
    /// Sends one complete Ethernet frame (without FCS). Returns false when the frame was dropped. A device may
    /// queue the frame (copied: the span is not kept) and send it with others at the next <see cref="Flush"/>.
    /// </summary>
    bool Transmit(ReadOnlySpan<byte> frame);

    /// <summary>
    /// Sends every frame <see cref="Transmit"/> queued. The stack calls it at the end of each poll, so a device
    /// that batches transmissions (one system call for many frames) never holds a frame past the poll that made
    /// it. Wrappers must forward it. Devices that send at once need not implement it.
    /// </summary>
    void Flush()
    {
    }
}
