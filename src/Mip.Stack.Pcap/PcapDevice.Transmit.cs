using System.Runtime.InteropServices;
using Mip.Stack.Pcap.Native;

namespace Mip.Stack.Pcap;

public sealed unsafe partial class PcapDevice
{
    /// <summary>
    /// The largest frame the transmit batch holds (a 9000-byte jumbo MTU plus headroom); a longer one, on an
    /// interface with a bigger MTU still, flushes the batch and goes out alone.
    /// </summary>
    internal const int BatchSlotLength = 9216;

    private readonly int _batchCapacity;
    private byte* _batchFrames;
    private LibC.IoVec* _batchIov;
    private LibC.MMsgHdr* _batchMessages;
    private int _batched;
    private long _transmitCalls;

    /// <summary>Frames queued by <see cref="Transmit"/> and not yet handed to the kernel.</summary>
    public int PendingTransmits => _batched;

    /// <inheritdoc />
    /// <remarks>
    /// <para>
    /// Frames longer than MTU + 14 (or shorter than an Ethernet header) are refused and counted in
    /// <see cref="PcapDeviceStatistics.OversizeDrops"/>: the kernel would reject them anyway, and the stack must
    /// learn it from the return value, not an exception.
    /// </para>
    /// <para>
    /// With <see cref="PcapDeviceOptions.TransmitBatchFrames"/> above 1 (the default) the frame is copied into a
    /// preallocated batch and true means queued: the batch goes to the kernel in one sendmmsg(2) on
    /// <see cref="Flush"/> (which the stack calls at the end of every poll), when it is full, or before
    /// <see cref="Wait(int, int)"/> sleeps, so a frame never waits longer than the poll that made it. The kernel
    /// refusing a frame at that point (ENOBUFS, ENETDOWN) is counted in <see cref="PcapDeviceStatistics.SendFailures"/>.
    /// With 1, each frame is one pcap_inject and a refusal returns false.
    /// </para>
    /// </remarks>
    public bool Transmit(ReadOnlySpan<byte> frame)
    {
        ObjectDisposedException.ThrowIf(_pcap == 0, this);
        if (frame.Length < EthernetHeaderLength || frame.Length > Mtu + EthernetHeaderLength)
        {
            _oversizeDrops++;
            return false;
        }
        if (_batchCapacity <= 1 || frame.Length > BatchSlotLength)
        {
            // Order on the wire is the order of Transmit calls: whatever is queued goes first.
            Flush();
            return Inject(frame);
        }
        frame.CopyTo(new Span<byte>(_batchFrames + (nint)_batched * BatchSlotLength, BatchSlotLength));
        _batchIov[_batched].Length = (nuint)frame.Length;
        _batched++;
        if (_batched == _batchCapacity)
        {
            Flush();
        }
        return true;
    }

    /// <summary>
    /// Hands every queued frame to the kernel: one sendmmsg(2) per batch, MSG_DONTWAIT so a full socket buffer
    /// drops (and counts) a frame instead of blocking the stack's thread. A frame the kernel refuses is skipped and
    /// the rest still go, so each call ends with nothing queued.
    /// </summary>
    public void Flush()
    {
        int done = 0;
        int count = _batched;
        while (done < count)
        {
            int rc = LibC.SendMmsg(SelectableFd, _batchMessages + done, (uint)(count - done), LibC.MsgDontwait);
            if (rc > 0)
            {
                _transmitCalls++;
                for (int i = done; i < done + rc; i++)
                {
                    uint length = _batchMessages[i].Length;
                    if (length == (uint)_batchIov[i].Length)
                    {
                        _framesSent++;
                        _bytesSent += length;
                    }
                    else
                    {
                        _sendFailures++;
                    }
                }
                done += rc;
                continue;
            }
            _transmitCalls++;
            if (rc < 0 && Marshal.GetLastPInvokeError() == LibC.EIntr)
            {
                continue;
            }
            // sendmmsg reports an error only for the first message it could not send: drop that one, go on.
            _sendFailures++;
            done++;
        }
        _batched = 0;
    }

    private bool Inject(ReadOnlySpan<byte> frame)
    {
        int sent;
        fixed (byte* p = frame)
        {
            sent = LibPcap.Inject(_pcap, p, (nuint)frame.Length);
        }
        _transmitCalls++;
        if (sent != frame.Length)
        {
            _sendFailures++;
            return false;
        }
        _framesSent++;
        _bytesSent += sent;
        return true;
    }

    /// <summary>Allocates the batch: frame slots, one iovec and one mmsghdr per slot, pointing at each other once.</summary>
    private void AllocateBatch()
    {
        if (_batchCapacity <= 1)
        {
            return;
        }
        _batchFrames = (byte*)NativeMemory.AlignedAlloc((nuint)_batchCapacity * BatchSlotLength, 64);
        _batchIov = (LibC.IoVec*)NativeMemory.AllocZeroed((nuint)_batchCapacity, (nuint)sizeof(LibC.IoVec));
        _batchMessages = (LibC.MMsgHdr*)NativeMemory.AllocZeroed((nuint)_batchCapacity, (nuint)sizeof(LibC.MMsgHdr));
        for (int i = 0; i < _batchCapacity; i++)
        {
            _batchIov[i].Base = _batchFrames + (nint)i * BatchSlotLength;
            // No address: the packet socket libpcap bound to the interface sends there, as pcap_inject's send() does.
            _batchMessages[i].Iov = &_batchIov[i];
            _batchMessages[i].IovLength = 1;
        }
    }

    private void FreeBatch()
    {
        NativeMemory.AlignedFree(_batchFrames);
        NativeMemory.Free(_batchIov);
        NativeMemory.Free(_batchMessages);
        _batchFrames = null;
        _batchIov = null;
        _batchMessages = null;
        _batched = 0;
    }
}
