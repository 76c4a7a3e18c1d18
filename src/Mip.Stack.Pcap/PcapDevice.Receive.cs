using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Mip.Stack.Pcap.Native;
using Mip.Stack.Phy;

namespace Mip.Stack.Pcap;

public sealed unsafe partial class PcapDevice
{
    /// <inheritdoc />
    /// <remarks>
    /// One pcap_dispatch per batch with a static unmanaged callback: each frame reaches <paramref name="handler"/>
    /// as a span over libpcap's ring slot, with no copy and no allocation. A handler exception stops the batch
    /// (pcap_breakloop) and is rethrown here, after libpcap has returned. Frames longer than the snapshot length
    /// are counted in <see cref="PcapDeviceStatistics.TruncatedDrops"/>, never delivered cut short.
    /// </remarks>
    public int Receive(FrameHandler handler, int maxFrames)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ObjectDisposedException.ThrowIf(_pcap == 0, this);
        if (maxFrames <= 0)
        {
            return 0;
        }
        _handler = handler;
        _delivered = 0;
        try
        {
            while (_delivered < maxFrames)
            {
                int rc = LibPcap.Dispatch(_pcap, maxFrames - _delivered, &OnFrame, GCHandle.ToIntPtr(_self));
                if (rc == 0 || _handlerException is not null)
                {
                    break;
                }
                if (rc < 0)
                {
                    // PCAP_ERROR, e.g. the interface went away; the loop sees it as a quiet link, the counter shows it.
                    _receiveErrors++;
                    break;
                }
            }
        }
        finally
        {
            _handler = null;
        }
        if (_handlerException is { } e)
        {
            _handlerException = null;
            ExceptionDispatchInfo.Throw(e);
        }
        return _delivered;
    }

    /// <summary>
    /// Sleeps in poll(2) until frames are ready, <paramref name="extraFd"/> (e.g. <see cref="EventFd.Fd"/>, -1 for
    /// none) is readable, or <paramref name="timeoutMs"/> passes (-1 waits forever, 0 only checks). Flushes queued
    /// transmissions first: nothing may sit in the batch while the loop sleeps.
    /// </summary>
    public WaitResult Wait(int timeoutMs, int extraFd = -1)
    {
        ObjectDisposedException.ThrowIf(_pcap == 0, this);
        Flush();
        LibC.PollFd* fds = stackalloc LibC.PollFd[2];
        fds[0] = new LibC.PollFd { Fd = SelectableFd, Events = LibC.PollIn };
        fds[1] = new LibC.PollFd { Fd = extraFd, Events = LibC.PollIn };
        int rc = LibC.Poll(fds, extraFd >= 0 ? 2u : 1u, timeoutMs);
        if (rc <= 0)
        {
            // 0 = timeout; -1 = EINTR (a signal): the caller re-evaluates its timers either way.
            return WaitResult.Timeout;
        }
        var result = WaitResult.Timeout;
        // POLLERR counts as "frames": Receive is what reports the error, so the loop must call it.
        if (fds[0].Revents != 0)
        {
            result |= WaitResult.Frames;
        }
        if (extraFd >= 0 && fds[1].Revents != 0)
        {
            result |= WaitResult.Wake;
        }
        return result;
    }

    /// <summary>Waits up to <paramref name="timeout"/> (rounded up to milliseconds) for frames; true when some are ready.</summary>
    public bool WaitForFrames(TimeSpan timeout) => (Wait(ToPollTimeout(timeout)) & WaitResult.Frames) != 0;

    /// <summary>Converts a timeout to poll(2)'s milliseconds, rounding up so a waiter never wakes before its deadline.</summary>
    public static int ToPollTimeout(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return -1;
        }
        if (timeout <= TimeSpan.Zero)
        {
            return 0;
        }
        double ms = Math.Ceiling(timeout.TotalMilliseconds);
        return ms >= int.MaxValue ? int.MaxValue : (int)ms;
    }

    [UnmanagedCallersOnly]
    private static void OnFrame(nint user, LibPcap.PacketHeader* header, byte* data)
    {
        // Nothing may unwind through libpcap's frames: Deliver catches everything.
        if (GCHandle.FromIntPtr(user).Target is PcapDevice device)
        {
            device.Deliver(header, data);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Deliver(LibPcap.PacketHeader* header, byte* data)
    {
        if (_handlerException is not null)
        {
            return;
        }
        uint length = header->CapturedLength;
        if (length != header->Length)
        {
            _truncatedDrops++;
            return;
        }
        try
        {
            _handler!(new ReadOnlySpan<byte>(data, (int)length));
        }
        catch (Exception e)
        {
            _handlerException = e;
            LibPcap.BreakLoop(_pcap);
            return;
        }
        _delivered++;
        _framesReceived++;
        _bytesReceived += length;
    }
}
