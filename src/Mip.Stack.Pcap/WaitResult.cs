namespace Mip.Stack.Pcap;

/// <summary>What ended a <see cref="PcapDevice.Wait(int, int)"/>. Both flags can be set at once.</summary>
[Flags]
public enum WaitResult : byte
{
    /// <summary>The timeout elapsed (or a signal interrupted the wait).</summary>
    Timeout = 0,
    /// <summary>The capture has frames ready (or an error pending: <see cref="PcapDevice.Receive"/> reports it).</summary>
    Frames = 1,
    /// <summary>The extra descriptor (e.g. an <see cref="EventFd"/>) became readable.</summary>
    Wake = 2,
}
