namespace Mip.Stack.Pcap;

/// <summary>Why a <see cref="PcapDevice"/> could not be opened.</summary>
public enum PcapErrorKind : byte
{
    /// <summary>Anything else libpcap or the kernel refused; the message carries its text.</summary>
    Other = 0,
    /// <summary>libpcap.so.0.8 could not be loaded.</summary>
    LibraryMissing = 1,
    /// <summary>No interface of that name exists (in that namespace).</summary>
    InterfaceNotFound = 2,
    /// <summary>No /var/run/netns/NAME.</summary>
    NamespaceNotFound = 3,
    /// <summary>Capturing needs CAP_NET_RAW, entering a namespace CAP_SYS_ADMIN.</summary>
    PermissionDenied = 4,
    /// <summary>The interface is not Ethernet.</summary>
    UnsupportedLinkType = 5,
}
