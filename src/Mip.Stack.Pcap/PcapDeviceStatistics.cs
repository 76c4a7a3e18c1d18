namespace Mip.Stack.Pcap;

/// <summary>A snapshot of a <see cref="PcapDevice"/>'s counters since it was opened.</summary>
/// <param name="FramesReceived">Frames handed to the stack.</param>
/// <param name="BytesReceived">Their bytes (Ethernet header included, no FCS).</param>
/// <param name="FramesSent">Frames the kernel accepted (sendmmsg or pcap_inject).</param>
/// <param name="BytesSent">Their bytes.</param>
/// <param name="SendFailures">Frames the kernel refused (e.g. ENOBUFS, interface down) or sent short.</param>
/// <param name="OversizeDrops">Frames refused on transmit because they exceed MTU + 14 or are shorter than an Ethernet header.</param>
/// <param name="TruncatedDrops">Received frames longer than the snapshot length, not delivered.</param>
/// <param name="ReceiveErrors">pcap_dispatch errors.</param>
/// <param name="KernelDrops">pcap_stats ps_drop: frames the kernel dropped because the capture ring was full.</param>
/// <param name="InterfaceDrops">pcap_stats ps_ifdrop: frames the interface dropped (Linux: its rx_dropped delta).</param>
/// <param name="TransmitCalls">System calls made to send (sendmmsg, pcap_inject): FramesSent over this is the batching.</param>
public readonly record struct PcapDeviceStatistics(
    long FramesReceived,
    long BytesReceived,
    long FramesSent,
    long BytesSent,
    long SendFailures,
    long OversizeDrops,
    long TruncatedDrops,
    long ReceiveErrors,
    long KernelDrops,
    long InterfaceDrops,
    long TransmitCalls);
