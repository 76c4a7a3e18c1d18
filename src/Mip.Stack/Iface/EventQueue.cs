namespace Mip.Stack.Iface;

/// <summary>A bounded FIFO of events. When full, the oldest event is discarded so the newest state is never lost.</summary>
internal sealed class EventQueue
{
    private readonly StackEvent?[] _ring;
    private int _head;
    private int _count;

    public EventQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new StackEvent?[capacity];
    }

    public int Count => _count;

    /// <summary>Adds <paramref name="ev"/>; returns false when an older event had to be discarded to make room.</summary>
    public bool Enqueue(StackEvent ev)
    {
        bool dropped = false;
        if (_count == _ring.Length)
        {
            _ring[_head] = null;
            _head = (_head + 1) % _ring.Length;
            _count--;
            dropped = true;
        }
        _ring[(_head + _count) % _ring.Length] = ev;
        _count++;
        return !dropped;
    }

    public bool TryDequeue(out StackEvent ev)
    {
        if (_count == 0)
        {
            ev = null!;
            return false;
        }
        ev = _ring[_head]!;
        _ring[_head] = null;
        _head = (_head + 1) % _ring.Length;
        _count--;
        return true;
    }
}
