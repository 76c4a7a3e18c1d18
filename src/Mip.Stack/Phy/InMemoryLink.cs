namespace Mip.Stack.Phy;

/// <summary>
/// A point-to-point Ethernet cable in memory: whatever one end transmits, the other end receives, in order.
/// Frames are copied once on transmit (the sender's buffer is reused). Single-threaded, like the stack.
/// </summary>
public sealed class InMemoryLink
{
    public InMemoryLink(int mtu = 1500, int queueLimitFrames = 4096)
    {
        A = new End(mtu, queueLimitFrames);
        B = new End(mtu, queueLimitFrames);
        A.Peer = B;
        B.Peer = A;
    }

    public End A { get; }
    public End B { get; }

    /// <summary>Sets carrier on both ends.</summary>
    public bool IsUp
    {
        get => A.IsLinkUp;
        set => A.IsLinkUp = B.IsLinkUp = value;
    }

    /// <summary>One end of the cable.</summary>
    public sealed class End : INetworkDevice
    {
        private readonly Queue<byte[]> _inbox = new();
        private readonly int _queueLimit;

        internal End(int mtu, int queueLimit)
        {
            Mtu = mtu;
            _queueLimit = queueLimit;
        }

        internal End Peer { get; set; } = null!;

        public int Mtu { get; }
        public bool IsLinkUp { get; internal set; } = true;

        /// <summary>Frames waiting to be received at this end.</summary>
        public int Pending => _inbox.Count;

        /// <summary>Frames this end transmitted.</summary>
        public long Transmitted { get; private set; }

        /// <summary>Frames dropped because the link was down or the peer's queue was full.</summary>
        public long Dropped { get; private set; }

        public int Receive(FrameHandler handler, int maxFrames)
        {
            int n = 0;
            while (n < maxFrames && _inbox.TryDequeue(out var frame))
            {
                handler(frame);
                n++;
            }
            return n;
        }

        public bool Transmit(ReadOnlySpan<byte> frame)
        {
            if (!IsLinkUp || Peer._inbox.Count >= _queueLimit)
            {
                Dropped++;
                return false;
            }
            Peer._inbox.Enqueue(frame.ToArray());
            Transmitted++;
            return true;
        }

        /// <summary>Puts a frame into this end's receive queue as if the peer had sent it (tests inject fixtures).</summary>
        public void Inject(ReadOnlySpan<byte> frame) => _inbox.Enqueue(frame.ToArray());

        /// <summary>Takes the next frame this end would receive, bypassing any stack (tests read what was sent).</summary>
        public bool TryTake(out byte[] frame) => _inbox.TryDequeue(out frame!);
    }
}
