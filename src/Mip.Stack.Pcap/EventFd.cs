using System.Runtime.InteropServices;
using Mip.Stack.Pcap.Native;

namespace Mip.Stack.Pcap;

/// <summary>
/// A Linux eventfd(2): a counter other threads <see cref="Signal"/> to wake a loop blocked in poll(2) on
/// <see cref="Fd"/> (e.g. <see cref="PcapDevice.Wait(int, int)"/>). Non-blocking; signals coalesce.
/// </summary>
public sealed unsafe class EventFd : IDisposable
{
    private int _fd;

    public EventFd()
    {
        _fd = LibC.EventFd(0, LibC.EfdNonblock | LibC.EfdCloexec);
        if (_fd < 0)
        {
            throw new InvalidOperationException($"eventfd failed: {LibC.ErrnoText(Marshal.GetLastPInvokeError())}");
        }
    }

    /// <summary>The descriptor to poll for readability; -1 once disposed.</summary>
    public int Fd => _fd;

    /// <summary>Wakes the waiter. Thread-safe, never blocks (a saturated counter is already signalled).</summary>
    public void Signal()
    {
        ulong one = 1;
        _ = LibC.Write(_fd, &one, sizeof(ulong));
    }

    /// <summary>Resets the counter; returns whether it had been signalled. Call on the waiting thread.</summary>
    public bool Drain()
    {
        ulong value = 0;
        return LibC.Read(_fd, &value, sizeof(ulong)) == sizeof(ulong) && value != 0;
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = LibC.Close(fd);
        }
    }
}
