using System.Runtime.InteropServices;

namespace Mip.Stack.Pcap.Native;

/// <summary>
/// The slice of libpcap the device needs on its hot path, bound directly: SharpPcap has no pcap_setdirection,
/// pcap_get_selectable_fd, immediate mode on every version, or Linux kernel drop counts, and its per-packet
/// callback allocates. Signatures follow pcap/pcap.h of libpcap 1.10.
/// </summary>
internal static unsafe partial class LibPcap
{
    /// <summary>The runtime package libpcap0.8 ships only the versioned soname; no -dev symlink is needed.</summary>
    public const string Library = "libpcap.so.0.8";

    public const int ErrbufSize = 256;

    public const int Error = -1;
    public const int ErrorNoSuchDevice = -5;
    public const int ErrorPermDenied = -8;
    public const int ErrorIfaceNotUp = -9;
    public const int WarningPromiscNotSupported = 2;

    /// <summary>pcap_direction_t PCAP_D_IN: only frames the interface received.</summary>
    public const int DirectionIn = 1;

    [LibraryImport(Library, EntryPoint = "pcap_create")]
    public static partial nint Create(byte* source, byte* errbuf);

    [LibraryImport(Library, EntryPoint = "pcap_set_snaplen")]
    public static partial int SetSnaplen(nint p, int snaplen);

    [LibraryImport(Library, EntryPoint = "pcap_set_promisc")]
    public static partial int SetPromisc(nint p, int promisc);

    [LibraryImport(Library, EntryPoint = "pcap_set_immediate_mode")]
    public static partial int SetImmediateMode(nint p, int immediate);

    [LibraryImport(Library, EntryPoint = "pcap_set_buffer_size")]
    public static partial int SetBufferSize(nint p, int bufferSize);

    [LibraryImport(Library, EntryPoint = "pcap_set_timeout")]
    public static partial int SetTimeout(nint p, int timeoutMs);

    [LibraryImport(Library, EntryPoint = "pcap_activate")]
    public static partial int Activate(nint p);

    [LibraryImport(Library, EntryPoint = "pcap_setdirection")]
    public static partial int SetDirection(nint p, int direction);

    [LibraryImport(Library, EntryPoint = "pcap_setnonblock")]
    public static partial int SetNonblock(nint p, int nonblock, byte* errbuf);

    [LibraryImport(Library, EntryPoint = "pcap_get_selectable_fd")]
    public static partial int GetSelectableFd(nint p);

    [LibraryImport(Library, EntryPoint = "pcap_datalink")]
    public static partial int Datalink(nint p);

    [LibraryImport(Library, EntryPoint = "pcap_dispatch")]
    public static partial int Dispatch(nint p, int count, delegate* unmanaged<nint, PacketHeader*, byte*, void> callback, nint user);

    [LibraryImport(Library, EntryPoint = "pcap_breakloop")]
    public static partial void BreakLoop(nint p);

    [LibraryImport(Library, EntryPoint = "pcap_inject")]
    public static partial int Inject(nint p, byte* buffer, nuint size);

    [LibraryImport(Library, EntryPoint = "pcap_stats")]
    public static partial int Stats(nint p, Stat* stats);

    [LibraryImport(Library, EntryPoint = "pcap_geterr")]
    public static partial byte* GetErr(nint p);

    [LibraryImport(Library, EntryPoint = "pcap_statustostr")]
    public static partial byte* StatusToStr(int error);

    [LibraryImport(Library, EntryPoint = "pcap_close")]
    public static partial void Close(nint p);

    /// <summary>DLT_EN10MB: Ethernet framing, the only link type the stack speaks.</summary>
    public const int DltEthernet = 1;

    /// <summary>struct pcap_pkthdr on LP64: struct timeval (two longs), caplen, len.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PacketHeader
    {
        public long Seconds;
        public long Microseconds;
        public uint CapturedLength;
        public uint Length;
    }

    /// <summary>struct pcap_stat (the first three u_int fields, all Linux fills).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Stat
    {
        public uint Received;
        public uint Dropped;
        public uint InterfaceDropped;
    }

    public static string ErrorText(byte* errbuf) => Marshal.PtrToStringUTF8((nint)errbuf) ?? "";

    public static string HandleError(nint p) => Marshal.PtrToStringUTF8((nint)GetErr(p)) ?? "";

    public static string StatusText(int status) => Marshal.PtrToStringUTF8((nint)StatusToStr(status)) ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
