using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;
using Mip.Stack.Pcap.Native;

namespace Mip.Stack.Pcap;

public sealed unsafe partial class PcapDevice
{
    private const string NetnsDirectory = "/var/run/netns";

    /// <summary>
    /// Opens <see cref="PcapDeviceOptions.Interface"/> for live capture and injection: immediate mode, whole
    /// frames, direction in, non-blocking, with batched transmission (<see cref="PcapDeviceOptions.TransmitBatchFrames"/>). Throws <see cref="PcapDeviceException"/> with an actionable message
    /// when libpcap, the namespace, the interface or the privileges are missing.
    /// </summary>
    public static PcapDevice Open(PcapDeviceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Interface) || Encoding.UTF8.GetByteCount(options.Interface) >= LibC.IfNameSize)
        {
            throw new ArgumentException($"Interface must be a Linux interface name of 1-15 bytes, not '{options.Interface}'", nameof(options));
        }
        if (options.TransmitBatchFrames is < 1 or > 1024)
        {
            throw new ArgumentException($"TransmitBatchFrames must be 1-1024, not {options.TransmitBatchFrames}", nameof(options));
        }
        EnsureLibraryLoads();
        if (options.Namespace is null)
        {
            return OpenHere(options);
        }
        ValidateNamespaceName(options.Namespace);

        // A packet socket stays bound to the namespace it was created in, and setns(CLONE_NEWNET) moves only the
        // calling thread. So a short-lived thread enters the namespace, creates the pcap handle and the ioctl
        // socket, and exits; every other thread of the process (e.g. a gRPC server's) stays where it was.
        PcapDevice? device = null;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                device = OpenInNamespace(options);
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            IsBackground = true,
            Name = "pcap-netns-open",
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return device!;
    }

    private static PcapDevice OpenInNamespace(PcapDeviceOptions options)
    {
        string name = options.Namespace!;
        int original = LibC.Open("/proc/thread-self/ns/net", LibC.ORdOnly | LibC.OCloexec);
        int target = LibC.Open($"{NetnsDirectory}/{name}", LibC.ORdOnly | LibC.OCloexec);
        if (target < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            CloseIfOpen(original);
            throw errno == LibC.ENoent
                ? new PcapDeviceException(PcapErrorKind.NamespaceNotFound,
                    $"network namespace '{name}' not found (no {NetnsDirectory}/{name}); existing: {ListNamespaces()}. " +
                    "Create the lab first (./run.sh lab up) or check the name.")
                : new PcapDeviceException(PcapErrorKind.PermissionDenied,
                    $"cannot open {NetnsDirectory}/{name}: {LibC.ErrnoText(errno)}. Run as root.");
        }
        try
        {
            if (LibC.SetNs(target, LibC.CloneNewNet) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw errno == LibC.EPerm
                    ? new PcapDeviceException(PcapErrorKind.PermissionDenied,
                        $"entering network namespace '{name}' needs CAP_SYS_ADMIN: run as root.")
                    : new PcapDeviceException(PcapErrorKind.Other,
                        $"setns into network namespace '{name}' failed: {LibC.ErrnoText(errno)}.");
            }
            return OpenHere(options);
        }
        finally
        {
            _ = LibC.Close(target);
            // Not strictly needed (the thread ends), but leaves nothing surprising behind if the runtime ever reuses it.
            if (original >= 0)
            {
                _ = LibC.SetNs(original, LibC.CloneNewNet);
                _ = LibC.Close(original);
            }
        }
    }

    private static PcapDevice OpenHere(PcapDeviceOptions options)
    {
        string where = options.Namespace is null ? "" : $" in network namespace '{options.Namespace}'";
        byte* errbuf = stackalloc byte[LibPcap.ErrbufSize];
        errbuf[0] = 0;
        int nameLength = Encoding.UTF8.GetByteCount(options.Interface);
        byte* name = stackalloc byte[nameLength + 1];
        Encoding.UTF8.GetBytes(options.Interface, new Span<byte>(name, nameLength));
        name[nameLength] = 0;

        nint pcap = LibPcap.Create(name, errbuf);
        if (pcap == 0)
        {
            throw new PcapDeviceException(PcapErrorKind.Other, $"pcap_create({options.Interface}){where}: {LibPcap.ErrorText(errbuf)}");
        }
        int controlSocket = -1;
        try
        {
            _ = LibPcap.SetSnaplen(pcap, SnapshotLength);
            _ = LibPcap.SetPromisc(pcap, options.Promiscuous ? 1 : 0);
            // Without immediate mode libpcap batches frames until a ring block fills or the read timeout expires:
            // the timeout becomes the latency floor (mongoose's example pays 1 ms per frame for it).
            _ = LibPcap.SetImmediateMode(pcap, 1);
            _ = LibPcap.SetBufferSize(pcap, options.BufferSizeBytes);
            _ = LibPcap.SetTimeout(pcap, 1);
            int rc = LibPcap.Activate(pcap);
            if (rc < 0)
            {
                throw ActivationError(rc, LibPcap.HandleError(pcap), options.Interface, where);
            }
            if (LibPcap.Datalink(pcap) != LibPcap.DltEthernet)
            {
                throw new PcapDeviceException(PcapErrorKind.UnsupportedLinkType,
                    $"'{options.Interface}'{where} is not an Ethernet interface (pcap link type {LibPcap.Datalink(pcap)}); the stack needs Ethernet II framing.");
            }
            // Only frames the interface received: the stack must not see its own transmissions, nor anything the
            // host kernel sends out of the same interface.
            if (!options.CaptureBothDirections && LibPcap.SetDirection(pcap, LibPcap.DirectionIn) != 0)
            {
                throw new PcapDeviceException(PcapErrorKind.Other, $"pcap_setdirection(in) on '{options.Interface}'{where}: {LibPcap.HandleError(pcap)}");
            }
            if (LibPcap.SetNonblock(pcap, 1, errbuf) != 0)
            {
                throw new PcapDeviceException(PcapErrorKind.Other, $"pcap_setnonblock on '{options.Interface}'{where}: {LibPcap.ErrorText(errbuf)}");
            }
            int fd = LibPcap.GetSelectableFd(pcap);
            if (fd < 0)
            {
                throw new PcapDeviceException(PcapErrorKind.Other, $"'{options.Interface}'{where} has no selectable descriptor");
            }
            // Created here so it lives in the same namespace as the capture: interface ioctls resolve names there.
            controlSocket = LibC.Socket(LibC.AfInet, LibC.SockDgram | LibC.SockCloexec, 0);
            if (controlSocket < 0)
            {
                throw new PcapDeviceException(PcapErrorKind.Other, $"socket(AF_INET){where}: {LibC.ErrnoText(Marshal.GetLastPInvokeError())}");
            }
            return new PcapDevice(options, pcap, fd, controlSocket);
        }
        catch
        {
            LibPcap.Close(pcap);
            CloseIfOpen(controlSocket);
            throw;
        }
    }

    private static PcapDeviceException ActivationError(int rc, string detail, string interfaceName, string where) => rc switch
    {
        LibPcap.ErrorNoSuchDevice => new PcapDeviceException(PcapErrorKind.InterfaceNotFound,
            $"interface '{interfaceName}' not found{where}; interfaces there: {ListInterfaces()}."),
        LibPcap.ErrorPermDenied => new PcapDeviceException(PcapErrorKind.PermissionDenied,
            $"capturing on '{interfaceName}'{where} needs CAP_NET_RAW and CAP_NET_ADMIN: run as root " +
            $"(or grant them: setcap cap_net_raw,cap_net_admin+eip <binary>). libpcap: {detail}"),
        _ => new PcapDeviceException(PcapErrorKind.Other,
            $"pcap_activate on '{interfaceName}'{where}: {LibPcap.StatusText(rc)}{(detail.Length > 0 ? ": " + detail : "")}"),
    };

    private static void EnsureLibraryLoads()
    {
        try
        {
            _ = LibPcap.StatusToStr(0);
        }
        catch (DllNotFoundException e)
        {
            throw LibraryMissing(e);
        }
    }

    private static PcapDeviceException LibraryMissing(Exception inner) =>
        new(PcapErrorKind.LibraryMissing, "libpcap not found: install libpcap0.8 (apt-get install libpcap0.8)", inner);

    private static void ValidateNamespaceName(string name)
    {
        if (name.Length == 0 || name is "." or ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{name}' is not a network namespace name (as listed by 'ip netns list')", nameof(name));
        }
    }

    /// <summary>The interfaces of the calling thread's namespace, from if_nameindex (netlink, so namespace-correct).</summary>
    private static string ListInterfaces()
    {
        LibC.IfNameIndex* list = LibC.IfNameIndexes();
        if (list == null)
        {
            return "(unknown)";
        }
        try
        {
            var names = new List<string>();
            for (var entry = list; entry->Index != 0; entry++)
            {
                names.Add(Marshal.PtrToStringUTF8((nint)entry->Name) ?? "?");
            }
            return names.Count == 0 ? "(none)" : string.Join(", ", names);
        }
        finally
        {
            LibC.IfFreeNameIndex(list);
        }
    }

    private static string ListNamespaces()
    {
        try
        {
            var names = Directory.Exists(NetnsDirectory)
                ? Directory.GetFiles(NetnsDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()
                : [];
            return names.Count == 0 ? "(none)" : string.Join(", ", names);
        }
        catch (IOException)
        {
            return "(unknown)";
        }
        catch (UnauthorizedAccessException)
        {
            return "(unknown)";
        }
    }

    private static void CloseIfOpen(int fd)
    {
        if (fd >= 0)
        {
            _ = LibC.Close(fd);
        }
    }
}
