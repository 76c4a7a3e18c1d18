using Mip.Stack.Iface;
using Mip.Stack.Storage;
using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Tcp;

/// <summary>
/// One TCP connection (RFC 9293): a plain state machine owned by its <see cref="NetStack"/>. The stack feeds it
/// segments (<c>Process</c>), lets it send (<c>Output</c>) and runs its timers (<c>PollTimers</c>); the application
/// reads, writes and closes through the public members. Every member must be called on the stack's thread.
/// </summary>
/// <remarks>
/// The file is split by concern: this part holds state and the application API; <c>.Receive</c> the segment
/// arrival rules (RFC 9293 §3.10.7), <c>.Ack</c> acknowledgment processing and loss recovery, <c>.Send</c> segment
/// construction and the send policy, <c>.Sack</c> the sender's scoreboard (RFC 6675), <c>.Timers</c> every deadline,
/// <c>.Close</c> teardown.
/// </remarks>
public sealed partial class TcpSocket
{
    /// <summary>RFC 9293 §3.7.1: the MSS assumed when the peer sends no MSS option.</summary>
    internal const int DefaultPeerMss = 536;

    private readonly NetStack _stack;
    private readonly TcpSocketOptions _options;
    private readonly RingBuffer _sendBuffer;
    private readonly RingBuffer _receiveBuffer;
    /// <summary>
    /// Out-of-order ranges the receive side (and the sender's scoreboard) may track: a burst that loses every other
    /// segment of an 8 MiB window leaves about 2900 holes. Linux bounds its out-of-order queue by memory only; a small
    /// table refused segments the buffer had room for and made the sender resend them.
    /// </summary>
    internal const int MaxOutOfOrderRanges = 4096;

    private readonly Assembler _assembler = new(MaxOutOfOrderRanges);
    private readonly RttEstimator _rtt;
    private ICongestionControl _cc;

    // Send sequence variables (RFC 9293 §3.3.1). _sndMax is the highest SND.NXT ever reached: after an RTO rewinds
    // SND.NXT for go-back-N, ACKs up to _sndMax are still acceptable.
    private TcpSeq _iss;
    private TcpSeq _sndUna;
    private TcpSeq _sndNxt;
    private TcpSeq _sndMax;
    private long _sndWnd;
    private long _maxSndWnd;
    private TcpSeq _sndWl1;
    private TcpSeq _sndWl2;

    /// <summary>Sequence number of the first byte in the send buffer (ISS + 1 until data is acknowledged).</summary>
    private TcpSeq _bufferSeq;

    // Receive sequence variables. _rcvAdvEdge is the right edge of the last window we advertised: it never moves left
    // (RFC 9293 §3.8.6.2.2, shrinking the window is strongly discouraged).
    private TcpSeq _irs;
    private TcpSeq _rcvNxt;
    private TcpSeq _rcvAdvEdge;

    // Negotiated options.
    private byte _sndShift;
    private byte _rcvShift;
    private bool _sackEnabled;
    private bool _tsEnabled;
    private uint _tsRecent;
    private uint _tsOffset;
    private int _peerMss = DefaultPeerMss;
    private int _sendMss = DefaultPeerMss;

    // Close bookkeeping.
    private bool _finQueued;
    private bool _finAcked;
    private bool _peerFinReceived;
    private bool _userClosed;
    private TcpSeq? _peerFinSeq;

    // Statistics.
    private long _bytesSent;
    private long _bytesReceived;
    private long _bytesAcked;
    private long _segmentsSent;
    private long _segmentsReceived;
    private long _retransmitsRto;
    private long _retransmitsFast;
    private long _dupAcksTotal;
    private long _outOfOrderSegments;

    internal TcpSocket(NetStack stack, int id, TcpFourTuple tuple, TcpSocketOptions options, TcpSeq iss, uint tsOffset, Instant now)
    {
        _stack = stack;
        Id = id;
        Tuple = tuple;
        _options = options;
        _sendBuffer = new RingBuffer(Math.Max(1, options.SendBufferBytes));
        int receive = Math.Clamp(options.ReceiveBufferBytes, 1, Math.Max(1, options.MaxReceiveBufferBytes));
        _receiveBuffer = new RingBuffer(receive, holdsDataBeyondCount: true);
        _rtt = new RttEstimator(options.MinRto, options.MaxRto);
        _cc = NewCongestionControl(DefaultPeerMss);
        _iss = iss;
        _sndUna = iss;
        _sndNxt = iss;
        _sndMax = iss;
        _bufferSeq = iss + 1;
        _recoveryPoint = iss; // RFC 6582 §3.2 step 1: "recover" starts at the initial send sequence number
        _cwndUsageSeq = iss;
        _tsOffset = tsOffset;
        _rcvShift = options.WindowScaling ? WindowScaleFor(options.MaxReceiveBufferBytes) : (byte)0;
        _lastReceiveAt = now;
        _lastAckProgressAt = now;
        _drsStart = now;
    }

    /// <summary>Unique per stack, never reused: names the socket in tables, events and "kill" commands.</summary>
    public int Id { get; }

    public TcpState State { get; private set; } = TcpState.Closed;

    /// <summary>Why the connection ended abnormally; None while it is fine.</summary>
    public TcpError Error { get; private set; }

    public Ipv4Endpoint LocalEndpoint => Tuple.Local;
    public Ipv4Endpoint RemoteEndpoint => Tuple.Remote;

    /// <summary>In-order bytes ready for <see cref="Receive"/>.</summary>
    public int BytesAvailable => _receiveBuffer.Count;

    /// <summary>Bytes <see cref="Send"/> would accept now.</summary>
    public int SendBufferFree => CanSend ? _sendBuffer.Free : 0;

    /// <summary>True once the peer's FIN has arrived and every byte before it has been read: end of stream.</summary>
    public bool IsReceiveFinished => (_peerFinReceived || State == TcpState.Closed) && _receiveBuffer.Count == 0;

    /// <summary>Connected (or connecting) and the send side not shut down: <see cref="Send"/> may queue data.</summary>
    public bool CanSend => !_finQueued && State is TcpState.SynSent or TcpState.SynReceived or TcpState.Established
        or TcpState.CloseWait;

    internal TcpFourTuple Tuple { get; }

    /// <summary>The listener this socket was accepted from, while it is half-open or waiting in the accept queue.</summary>
    internal TcpListener? Listener { get; set; }

    /// <summary>Index in the stack's socket list (swap-remove), -1 when not in it.</summary>
    internal int TableIndex { get; set; } = -1;

    /// <summary>Set while the socket sits in the stack's activity queue (reported at most once until dequeued).</summary>
    internal bool ActivityQueued { get; set; }

    /// <summary>Set while the socket sits in the stack's output queue (data or an ACK to send at the next poll).</summary>
    internal bool OutputQueued { get; set; }

    /// <summary>Cached next-hop neighbour, so steady-state sends skip routing and the ARP table lookup.</summary>
    internal ArpCacheEntry? NextHop { get; set; }
    internal int NextHopVersion { get; set; }

    internal bool ClosedEventPublished { get; set; }

    /// <summary>Counted in its listener's SYN queue and the stack's half-open total.</summary>
    internal bool CountedHalfOpen { get; set; }

    /// <summary>Counted in the stack's TIME-WAIT total.</summary>
    internal bool CountedTimeWait { get; set; }

    /// <summary>
    /// Copies as much of <paramref name="data"/> as fits into the send buffer and returns the count (0 when the buffer is
    /// full or the send side is shut down). The data goes out at the next poll.
    /// </summary>
    public int Send(ReadOnlySpan<byte> data)
    {
        if (!CanSend || data.IsEmpty)
        {
            return 0;
        }
        int n = _sendBuffer.Enqueue(data);
        if (n < data.Length)
        {
            _sendBufferWasFull = true;
        }
        if (n > 0 && State != TcpState.SynSent && State != TcpState.SynReceived)
        {
            _stack.ScheduleTcpOutput(this);
        }
        return n;
    }

    /// <summary>Copies up to <paramref name="destination"/>.Length in-order bytes and returns the count (0 = none now).</summary>
    public int Receive(Span<byte> destination)
    {
        int n = _receiveBuffer.Dequeue(destination);
        if (n > 0 && IsSynchronized)
        {
            // The reader freed space: if the window we could offer now grew enough, tell the peer without waiting
            // (a held-back window update stalls a sender that sees a zero or small window).
            if (WindowUpdateWorthSending())
            {
                _ackNow = true;
                _stack.ScheduleTcpOutput(this);
            }
        }
        return n;
    }

    /// <summary>A snapshot of counters and congestion state.</summary>
    public TcpSocketStats Stats => new()
    {
        BytesSent = _bytesSent,
        BytesReceived = _bytesReceived,
        BytesAcked = _bytesAcked,
        SegmentsSent = _segmentsSent,
        SegmentsReceived = _segmentsReceived,
        RetransmitsRto = _retransmitsRto,
        RetransmitsFast = _retransmitsFast,
        RetransmitsTlp = _retransmitsTlp,
        DuplicateAcks = _dupAcksTotal,
        OutOfOrderSegments = _outOfOrderSegments,
        SmoothedRtt = _rtt.SmoothedRtt,
        RttVariance = _rtt.RttVariance,
        ReceiverRtt = _rcvRtt.Rtt,
        Rto = _rtt.Rto,
        CongestionWindow = _cc.CongestionWindow,
        SlowStartThreshold = _cc.SlowStartThreshold,
        SendWindow = _sndWnd,
        ReceiveWindow = (int)Math.Max(0, _rcvAdvEdge - _rcvNxt),
        ReceiveBufferBytes = _receiveBuffer.Capacity,
        SendMss = _sendMss,
        InRecovery = _inRecovery,
        SackEnabled = _sackEnabled,
        TimestampsEnabled = _tsEnabled,
        SendWindowScale = _sndShift,
        ReceiveWindowScale = _rcvShift,
    };

    public override string ToString() => $"tcp#{Id} {LocalEndpoint} -> {RemoteEndpoint} {State}";

    /// <summary>States in which sequence numbers of both sides are known (RFC 9293 §3.3.2).</summary>
    private bool IsSynchronized => State >= TcpState.SynReceived;

    private ICongestionControl NewCongestionControl(int mss) => _options.CongestionControl == CongestionAlgorithm.NewReno
        ? new NewReno(mss)
        : new Cubic(mss);

    /// <summary>
    /// RFC 7323 §2.2: the shift we offer is the smallest that lets the 16-bit field express the largest buffer we may
    /// grow to (auto-tuning), capped at 14.
    /// </summary>
    internal static byte WindowScaleFor(int maxBuffer)
    {
        byte shift = 0;
        while (shift < TcpRepr.MaxWindowScale && ((long)ushort.MaxValue << shift) < maxBuffer)
        {
            shift++;
        }
        return shift;
    }

    private void SetState(TcpState state, Instant now)
    {
        var old = State;
        State = state;
        if (old == state)
        {
            return;
        }
        if (old is TcpState.SynSent or TcpState.SynReceived && state is TcpState.Established or TcpState.FinWait1
            or TcpState.CloseWait)
        {
            _stack.OnTcpEstablished(this, now);
        }
        if (state is TcpState.TimeWait or TcpState.Closed)
        {
            _stack.OnTcpFinished(this, now);
        }
        _stack.MarkTcpActivity(this);
    }
}
