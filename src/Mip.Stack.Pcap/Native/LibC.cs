using System.Runtime.InteropServices;

namespace Mip.Stack.Pcap.Native;

/// <summary>The Linux system calls the device needs: namespaces, interface ioctls, poll, eventfd.</summary>
internal static unsafe partial class LibC
{
    public const string Library = "libc.so.6";

    public const int ORdOnly = 0;
    public const int OCloexec = 0x80000;
    public const int CloneNewNet = 0x40000000;

    public const int AfInet = 2;
    public const int SockDgram = 2;
    public const int SockCloexec = 0x80000;

    public const ulong SiocGIfFlags = 0x8913;
    public const ulong SiocGIfMtu = 0x8921;
    public const short IffUp = 0x1;
    public const short IffRunning = 0x40;
    public const short IffPromisc = 0x100;
    public const int IfNameSize = 16;

    public const short PollIn = 0x1;
    public const short PollErr = 0x8;
    public const short PollHup = 0x10;
    public const short PollNval = 0x20;

    public const int EfdNonblock = 0x800;
    public const int EfdCloexec = 0x80000;

    public const int MsgDontwait = 0x40;

    public const int EIntr = 4;
    public const int EAgain = 11;
    public const int ENoent = 2;
    public const int EPerm = 1;
    public const int ENoDev = 19;

    [LibraryImport(Library, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int nstype);

    [LibraryImport(Library, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, ulong request, IfReq* ifr);

    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initval, int flags);

    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMmsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport(Library, EntryPoint = "if_nameindex", SetLastError = true)]
    public static partial IfNameIndex* IfNameIndexes();

    [LibraryImport(Library, EntryPoint = "if_freenameindex")]
    public static partial void IfFreeNameIndex(IfNameIndex* ptr);

    [LibraryImport(Library, EntryPoint = "strerror")]
    public static partial byte* StrError(int errnum);

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>struct mmsghdr on LP64: struct msghdr (56 bytes, padded) then the kernel's msg_len, 64 in all.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    public struct MMsgHdr
    {
        [FieldOffset(0)] public void* Name;
        [FieldOffset(8)] public uint NameLength;
        [FieldOffset(16)] public IoVec* Iov;
        [FieldOffset(24)] public nuint IovLength;
        [FieldOffset(32)] public void* Control;
        [FieldOffset(40)] public nuint ControlLength;
        [FieldOffset(48)] public int Flags;
        [FieldOffset(56)] public uint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IfNameIndex
    {
        public uint Index;
        public byte* Name;
    }

    /// <summary>struct ifreq: 16-byte name then a 24-byte union (ifr_flags and ifr_mtu sit at its start).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 40)]
    public struct IfReq
    {
        public fixed byte Name[IfNameSize];
        public int Value;
    }

    public static string ErrnoText(int errno) => $"{Marshal.PtrToStringUTF8((nint)StrError(errno))} (errno {errno})";
}
