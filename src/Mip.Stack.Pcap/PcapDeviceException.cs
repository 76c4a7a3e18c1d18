namespace Mip.Stack.Pcap;

/// <summary>Opening a <see cref="PcapDevice"/> failed; the message says what to do about it.</summary>
public sealed class PcapDeviceException : Exception
{
    public PcapDeviceException(PcapErrorKind kind, string message, Exception? inner = null)
        : base(message, inner) => Kind = kind;

    public PcapDeviceException()
    {
    }

    public PcapDeviceException(string message) : base(message)
    {
    }

    public PcapDeviceException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public PcapErrorKind Kind { get; }
}
