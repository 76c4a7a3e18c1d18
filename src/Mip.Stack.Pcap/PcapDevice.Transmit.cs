using Mip.Stack.Pcap.Native;

namespace Mip.Stack.Pcap;

public sealed unsafe partial class PcapDevice
{
    /// <inheritdoc />
    /// <remarks>
    /// pcap_inject straight from the caller's span. Frames longer than MTU + 14 (or shorter than an Ethernet
    /// header) are refused and counted in <see cref="PcapDeviceStatistics.OversizeDrops"/>: the kernel would
    /// reject them anyway, and the stack must learn it from the return value, not an exception. Kernel refusals
    /// (ENOBUFS, ENETDOWN) are counted in <see cref="PcapDeviceStatistics.SendFailures"/>.
    /// </remarks>
    public bool Transmit(ReadOnlySpan<byte> frame)
    {
        ObjectDisposedException.ThrowIf(_pcap == 0, this);
        if (frame.Length < EthernetHeaderLength || frame.Length > Mtu + EthernetHeaderLength)
        {
            _oversizeDrops++;
            return false;
        }
        int sent;
        fixed (byte* p = frame)
        {
            sent = LibPcap.Inject(_pcap, p, (nuint)frame.Length);
        }
        if (sent != frame.Length)
        {
            _sendFailures++;
            return false;
        }
        _framesSent++;
        _bytesSent += sent;
        return true;
    }
}
