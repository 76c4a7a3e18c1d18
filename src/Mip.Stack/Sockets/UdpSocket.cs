using System.Buffers;
using Mip.Stack.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Sockets;

/// <summary>
/// A UDP socket bound to one local port of a <see cref="NetStack"/>. Received datagrams wait in a bounded queue
/// (<see cref="StackOptions.UdpReceiveQueueDatagrams"/>) of pooled buffers; when it is full, new datagrams are dropped
/// and counted. All members must be called on the stack's thread.
/// </summary>
public sealed class UdpSocket
{
    private readonly NetStack _stack;
    private readonly Slot[] _queue;
    private int _head;
    private int _count;
    private bool _closed;

    internal UdpSocket(NetStack stack, ushort port, int queueCapacity)
    {
        _stack = stack;
        LocalPort = port;
        _queue = new Slot[Math.Max(queueCapacity, 1)];
    }

    internal ushort LocalPort { get; }

    /// <summary>The interface address (0.0.0.0 while unconfigured) and the bound port.</summary>
    public Ipv4Endpoint LocalEndpoint => new(_stack.Ipv4?.Address ?? Ipv4Address.Any, LocalPort);

    /// <summary>Allows sending to broadcast addresses (like SO_BROADCAST). Default false.</summary>
    public bool Broadcast { get; set; }

    /// <summary>Datagrams waiting to be received.</summary>
    public int PendingDatagrams => _count;

    /// <summary>Datagrams dropped because the receive queue was full.</summary>
    public long DroppedDatagrams { get; private set; }

    /// <summary>Sends one datagram; false when it cannot be sent now (see the overload for the reason).</summary>
    public bool TrySendTo(ReadOnlySpan<byte> payload, Ipv4Endpoint remote, Instant now) => TrySendTo(payload, remote, now, out _);

    /// <summary>
    /// Sends one datagram, fragmented if it exceeds the MTU. True when sent or queued while ARP resolves the next
    /// hop; otherwise false with the reason in <paramref name="error"/>.
    /// </summary>
    public bool TrySendTo(ReadOnlySpan<byte> payload, Ipv4Endpoint remote, Instant now, out StackError error)
    {
        error = _closed ? StackError.SocketClosed : _stack.SendUdp(LocalPort, payload, remote, Broadcast, now);
        return error == StackError.None;
    }

    /// <summary>
    /// Takes the oldest datagram. If <paramref name="buffer"/> is too small the datagram is truncated to it and the
    /// rest discarded (like recvfrom); <paramref name="length"/> is the number of bytes copied.
    /// </summary>
    public bool TryReceiveFrom(Span<byte> buffer, out int length, out Ipv4Endpoint remote)
    {
        if (_count == 0)
        {
            length = 0;
            remote = default;
            return false;
        }
        ref var slot = ref _queue[_head];
        length = Math.Min(slot.Length, buffer.Length);
        slot.Buffer.AsSpan(0, length).CopyTo(buffer);
        remote = slot.Remote;
        ArrayPool<byte>.Shared.Return(slot.Buffer);
        slot = default;
        _head = (_head + 1) % _queue.Length;
        _count--;
        return true;
    }

    /// <summary>Unbinds the port and releases queued datagrams. Idempotent.</summary>
    public void Close()
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        _stack.CloseUdp(this);
        while (TryReceiveFrom([], out _, out _))
        {
        }
    }

    internal bool Enqueue(ReadOnlySpan<byte> payload, Ipv4Endpoint remote)
    {
        if (_closed || _count == _queue.Length)
        {
            DroppedDatagrams++;
            return false;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(payload.Length, 1));
        payload.CopyTo(buffer);
        _queue[(_head + _count) % _queue.Length] = new Slot(buffer, payload.Length, remote);
        _count++;
        return true;
    }

    private readonly record struct Slot(byte[] Buffer, int Length, Ipv4Endpoint Remote);
}
