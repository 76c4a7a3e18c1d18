using System.Diagnostics;
using System.Runtime.InteropServices;
using Mip.Stack.Pcap.Native;
using Mip.Stack.Phy;

namespace Mip.Stack.Pcap;

/// <summary>
/// An <see cref="INetworkDevice"/> over a live libpcap handle on one Linux interface, optionally inside a network
/// namespace (<see cref="PcapDeviceOptions.Namespace"/>). Built for a host loop that owns the stack on one thread:
/// non-blocking, immediate delivery, zero-copy and allocation-free per frame, with a selectable descriptor to
/// sleep on (<see cref="Wait(int, int)"/>).
/// </summary>
/// <remarks>
/// Not thread-safe, like the stack: call <see cref="Receive"/>, <see cref="Transmit"/> and <see cref="Wait(int, int)"/>
/// from the loop thread. <see cref="Statistics"/> may be read from any thread (each counter is read atomically,
/// the snapshot as a whole is not).
/// </remarks>
public sealed unsafe partial class PcapDevice : INetworkDevice, IDisposable
{
    /// <summary>Ethernet II header: destination, source, EtherType. The MTU counts what follows it.</summary>
    public const int EthernetHeaderLength = 14;

    /// <summary>Capture whole frames: libpcap sizes its ring slots from the interface MTU when this exceeds it.</summary>
    public const int SnapshotLength = 65535;

    private readonly long _linkRefreshTicks;
    private nint _pcap;
    private int _controlSocket;
    private GCHandle _self;

    private long _nextLinkRefresh;
    private bool _linkUp;
    private int _mtu;

    private FrameHandler? _handler;
    private int _delivered;
    private Exception? _handlerException;

    private long _framesReceived;
    private long _bytesReceived;
    private long _framesSent;
    private long _bytesSent;
    private long _sendFailures;
    private long _oversizeDrops;
    private long _truncatedDrops;
    private long _receiveErrors;

    private PcapDevice(PcapDeviceOptions options, nint pcap, int selectableFd, int controlSocket)
    {
        Interface = options.Interface;
        Namespace = options.Namespace;
        _pcap = pcap;
        SelectableFd = selectableFd;
        _controlSocket = controlSocket;
        _linkRefreshTicks = (long)(options.LinkRefreshInterval.TotalSeconds * Stopwatch.Frequency);
        _batchCapacity = options.TransmitBatchFrames;
        AllocateBatch();
        // Weak, so an undisposed device can still be finalized; the handle only lives as long as the device.
        _self = GCHandle.Alloc(this, GCHandleType.Weak);
        RefreshLink();
    }

    ~PcapDevice() => ReleaseNative();

    /// <summary>The interface name, e.g. <c>my0</c>.</summary>
    public string Interface { get; }

    /// <summary>The network namespace the capture lives in; null for the process's own.</summary>
    public string? Namespace { get; }

    /// <summary>The descriptor that polls readable when frames are ready (pcap_get_selectable_fd).</summary>
    public int SelectableFd { get; }

    /// <summary>The libpcap version string, as SharpPcap reports it (e.g. "libpcap version 1.10.3 ...").</summary>
    public static string LibraryVersion
    {
        get
        {
            try
            {
                return SharpPcap.Pcap.Version;
            }
            catch (Exception e) when (e is DllNotFoundException or TypeInitializationException)
            {
                throw LibraryMissing(e);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>Read from the interface with SIOCGIFMTU, refreshed at most every <see cref="PcapDeviceOptions.LinkRefreshInterval"/>.</remarks>
    public int Mtu
    {
        get
        {
            RefreshLinkIfStale();
            return _mtu;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// IFF_UP and IFF_RUNNING from SIOCGIFFLAGS on a socket in the interface's namespace (/sys/class/net shows
    /// only the namespace sysfs was mounted in). RUNNING follows carrier: on a veth it drops when the peer goes down.
    /// The kernel's linkwatch updates it after up to 1 s for a carrier loss (non-urgent events are batched once per
    /// second); carrier gain is urgent and shows within this refresh interval. Measured: ~1 s down, &lt;100 ms up.
    /// </remarks>
    public bool IsLinkUp
    {
        get
        {
            RefreshLinkIfStale();
            return _linkUp;
        }
    }

    /// <summary>Counters since open, with the kernel's drop counts from pcap_stats.</summary>
    public PcapDeviceStatistics Statistics
    {
        get
        {
            ObjectDisposedException.ThrowIf(_pcap == 0, this);
            LibPcap.Stat stat = default;
            // pcap_stats on Linux reads PACKET_STATISTICS (which resets in the kernel) and accumulates it in libpcap.
            bool haveStats = LibPcap.Stats(_pcap, &stat) == 0;
            return new PcapDeviceStatistics(
                Interlocked.Read(ref _framesReceived),
                Interlocked.Read(ref _bytesReceived),
                Interlocked.Read(ref _framesSent),
                Interlocked.Read(ref _bytesSent),
                Interlocked.Read(ref _sendFailures),
                Interlocked.Read(ref _oversizeDrops),
                Interlocked.Read(ref _truncatedDrops),
                Interlocked.Read(ref _receiveErrors),
                haveStats ? stat.Dropped : 0,
                haveStats ? stat.InterfaceDropped : 0,
                Interlocked.Read(ref _transmitCalls));
        }
    }

    /// <summary>Sends what is still queued, then closes the capture.</summary>
    public void Dispose()
    {
        if (_pcap != 0)
        {
            Flush();
        }
        ReleaseNative();
        GC.SuppressFinalize(this);
    }

    private void ReleaseNative()
    {
        nint pcap = Interlocked.Exchange(ref _pcap, 0);
        if (pcap != 0)
        {
            LibPcap.Close(pcap);
        }
        int socket = Interlocked.Exchange(ref _controlSocket, -1);
        if (socket >= 0)
        {
            _ = LibC.Close(socket);
        }
        if (_self.IsAllocated)
        {
            _self.Free();
        }
        FreeBatch();
    }
}
