namespace Mip.Stack.Phy;

/// <summary>Resolution of record timestamps in a classic pcap file, announced by its magic number.</summary>
public enum PcapTimestampPrecision : byte
{
    /// <summary>Magic 0xa1b2c3d4: the fraction field counts microseconds (the original format).</summary>
    Microseconds,

    /// <summary>Magic 0xa1b23c4d: the fraction field counts nanoseconds.</summary>
    Nanoseconds,
}
