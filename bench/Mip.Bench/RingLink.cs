using Mip.Stack.Phy;

namespace Mip.Bench;

/// <summary>
/// A point-to-point cable like <see cref="InMemoryLink"/>, but each direction is a ring of preallocated frame slots:
/// transmit copies into the next slot instead of allocating an array, so the bench's allocation figure is the
/// stack's own (InMemoryLink allocates one array per frame, which is right for tests and wrong for this number).
/// </summary>
/// <remarks>
/// Each direction holds <c>slots</c> frames and drops what does not fit (drop-tail), like a real interface queue
/// (Linux's default txqueuelen and netdev_max_backlog are 1000). The bench used to give each direction 65,536 slots
/// (about 99 MB), a loss-free queue no path has: CUBIC's flight then grows to whatever the receive window allows
/// (8 MiB) and waits in the queue as a standing backlog of 3,000-6,000 frames, so a frame was out of cache by the
/// time it was read back (perf: the receive checksum's first load and the IPv4 header read were the two hottest
/// instructions), and the figure measured that backlog more than the stack's per-segment work.
/// </remarks>
internal sealed class RingLink
{
    /// <summary>Frames each direction queues by default: 1024, about a NIC ring or Linux's txqueuelen.</summary>
    public const int DefaultQueueFrames = 1024;

    public RingLink(int mtu, int slots)
    {
        A = new End(mtu, slots);
        B = new End(mtu, slots);
        A.Peer = B;
        B.Peer = A;
    }

    public End A { get; }
    public End B { get; }

    internal sealed class End : INetworkDevice
    {
        private readonly byte[][] _slots;
        private readonly int[] _lengths;
        private long _head;
        private long _tail;

        public End(int mtu, int slots)
        {
            Mtu = mtu;
            _slots = new byte[slots][];
            for (int i = 0; i < slots; i++)
            {
                _slots[i] = new byte[mtu + 14];
            }
            _lengths = new int[slots];
        }

        internal End Peer { get; set; } = null!;

        public int Mtu { get; }
        public bool IsLinkUp => true;
        public long Dropped { get; private set; }

        public int Receive(FrameHandler handler, int maxFrames)
        {
            int n = 0;
            while (n < maxFrames && _tail < _head)
            {
                int slot = (int)(_tail % _slots.Length);
                handler(_slots[slot].AsSpan(0, _lengths[slot]));
                _tail++;
                n++;
            }
            return n;
        }

        public bool Transmit(ReadOnlySpan<byte> frame)
        {
            var peer = Peer;
            if (peer._head - peer._tail >= peer._slots.Length || frame.Length > peer._slots[0].Length)
            {
                Dropped++;
                return false;
            }
            int slot = (int)(peer._head % peer._slots.Length);
            frame.CopyTo(peer._slots[slot]);
            peer._lengths[slot] = frame.Length;
            peer._head++;
            return true;
        }
    }
}
