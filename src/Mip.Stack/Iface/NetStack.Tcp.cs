using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>
/// TCP in the stack: the connection table (one dictionary lookup per segment, keyed by the 4-tuple), listeners by
/// port, SYN handling with a bounded SYN queue and SYN cookies, RST for closed ports, ephemeral ports (RFC 6056
/// algorithm 3) and the per-poll output, timer and readiness queues.
/// </summary>
/// <remarks>
/// Timers: each socket keeps its own deadlines and the stack scans the socket list once per poll (and once per
/// <see cref="NextPollAt"/>). That is a few comparisons per socket: about a microsecond for a thousand sockets, well
/// below the cost of one frame, so a heap (with its re-keying on every ACK, which moves the RTO deadline) would not pay.
/// </remarks>
public sealed partial class NetStack
{
    private readonly Dictionary<TcpFourTuple, TcpSocket> _tcpTable = [];
    private readonly List<TcpSocket> _tcpList = [];
    private readonly Dictionary<ushort, TcpListener> _tcpListeners = [];
    private readonly Queue<TcpSocket> _tcpActivity = new();
    private readonly Queue<TcpListener> _tcpAcceptReady = new();
    private readonly List<TcpSocket> _tcpOutput = [];
    private readonly Queue<TcpSocket> _tcpTimeWait = new();
    private TcpSecrets? _tcpSecrets;
    private int _nextTcpId = 1;
    private int _tcpHalfOpen;
    private int _tcpTimeWaitCount;

    /// <summary>The connection table (not listeners), including connections in TIME-WAIT.</summary>
    public IReadOnlyCollection<TcpSocket> TcpSockets => _tcpList;

    public IReadOnlyCollection<TcpListener> TcpListeners => _tcpListeners.Values;

    internal Instant Now => _now;

    internal int DeviceMtu => _device.Mtu;

    /// <summary>
    /// Opens a connection to <paramref name="remote"/> (RFC 9293 §3.10.1 active OPEN). The SYN leaves at once; the
    /// outcome shows in <see cref="TcpSocket.State"/> and <see cref="TcpSocket.Error"/>.
    /// </summary>
    public TcpSocket ConnectTcp(Ipv4Endpoint remote, Instant now, TcpSocketOptions? options = null, ushort localPort = 0)
    {
        _now = now;
        if (_ipv4 is not { } config)
        {
            throw new StackException(StackError.NotConfigured, "The interface has no IPv4 address.");
        }
        if (remote.Port == 0 || remote.Address.IsAny || remote.Address.IsBroadcast || remote.Address.IsMulticast
            || IsBroadcastAddress(remote.Address))
        {
            // RFC 1122 §4.2.3.10: TCP connections are unicast only.
            throw new StackException(StackError.InvalidArgument, $"Cannot connect to {remote}.");
        }
        var secrets = Secrets();
        ushort port = localPort;
        if (port == 0)
        {
            port = AllocateTcpPort(config.Address, remote, secrets);
        }
        else if (_tcpListeners.ContainsKey(port) || _tcpTable.ContainsKey(new TcpFourTuple(config.Address, port, remote.Address, remote.Port)))
        {
            throw new StackException(StackError.AddressInUse, $"TCP port {port} is in use towards {remote}.");
        }
        var tuple = new TcpFourTuple(config.Address, port, remote.Address, remote.Port);
        var socket = NewTcpSocket(tuple, options ?? TcpSocketOptions.Default, now, default);
        Counters.TcpActiveOpens++;
        socket.StartConnect(now);
        return socket;
    }

    /// <summary>Listens on <paramref name="port"/> (0 = an ephemeral port); throws AddressInUse if someone listens there.</summary>
    public TcpListener ListenTcp(ushort port, int backlog = 128, TcpSocketOptions? options = null)
    {
        if (backlog < 1)
        {
            throw new StackException(StackError.InvalidArgument, "The backlog must be at least 1.");
        }
        if (port == 0)
        {
            var secrets = Secrets();
            const int count = EphemeralPortMax - EphemeralPortMin + 1;
            for (int i = 0; i < count && port == 0; i++)
            {
                ushort candidate = (ushort)(EphemeralPortMin + ((secrets.NextEphemeral++ + (uint)_random.Next(count)) % count));
                if (!_tcpListeners.ContainsKey(candidate) && !IsTcpPortUsed(candidate))
                {
                    port = candidate;
                }
            }
            if (port == 0)
            {
                throw new StackException(StackError.NoEphemeralPorts, "No ephemeral TCP port is free.");
            }
        }
        else if (_tcpListeners.ContainsKey(port))
        {
            throw new StackException(StackError.AddressInUse, $"TCP port {port} already has a listener.");
        }
        var listener = new TcpListener(this, port, backlog, options ?? TcpSocketOptions.Default);
        _tcpListeners.Add(port, listener);
        return listener;
    }

    /// <summary>Next socket that became readable, writable, finished or closed (each reported once until taken).</summary>
    public bool TryDequeueTcpActivity(out TcpSocket socket)
    {
        if (_tcpActivity.TryDequeue(out socket!))
        {
            socket.ActivityQueued = false;
            return true;
        }
        return false;
    }

    /// <summary>Next listener with connections waiting in its accept queue.</summary>
    public bool TryDequeueTcpAcceptReady(out TcpListener listener)
    {
        if (_tcpAcceptReady.TryDequeue(out listener!))
        {
            listener.AcceptReadyQueued = false;
            return true;
        }
        return false;
    }

    internal void MarkTcpActivity(TcpSocket socket)
    {
        // Sockets still owned by a listener (half-open or not yet accepted) are the listener's news, reported through
        // the accept-ready queue; the host looks at their state when it accepts them.
        if (!socket.ActivityQueued && socket.Listener is null)
        {
            socket.ActivityQueued = true;
            _tcpActivity.Enqueue(socket);
        }
    }

    internal void ScheduleTcpOutput(TcpSocket socket)
    {
        if (!socket.OutputQueued)
        {
            socket.OutputQueued = true;
            _tcpOutput.Add(socket);
        }
    }

    internal int PathMtu(Ipv4Address destination, Instant now) => _pathMtu.Get(destination, _device.Mtu, now);

    internal bool TryTakeChallengeAck(Instant now) => Secrets().ChallengeAcks.TryTake(now);

    /// <summary>Output queued by user calls, then every due timer.</summary>
    private void PollTcp(Instant now)
    {
        if (_tcpOutput.Count > 0)
        {
            // Indexed loop: Output may queue more sockets (it never removes), which then run in this poll too.
            for (int i = 0; i < _tcpOutput.Count; i++)
            {
                var s = _tcpOutput[i];
                s.OutputQueued = false;
                s.Output(now);
            }
            _tcpOutput.Clear();
        }
        // Backwards: a socket that closes is swap-removed with the last one, which was already visited.
        for (int i = _tcpList.Count - 1; i >= 0; i--)
        {
            if (i >= _tcpList.Count)
            {
                continue;
            }
            var s = _tcpList[i];
            if (now >= s.NextDeadline)
            {
                s.PollTimers(now);
            }
        }
    }

    private Instant TcpNextDeadline(Instant now)
    {
        if (_tcpOutput.Count > 0)
        {
            return now;
        }
        var next = Instant.MaxValue;
        foreach (var s in _tcpList)
        {
            next = Instant.Min(next, s.NextDeadline);
        }
        return next;
    }

    // tsOffset: the timestamp clock offset; null draws a random one (a cookie connection must continue its SYN-ACK's).
    private TcpSocket NewTcpSocket(TcpFourTuple tuple, TcpSocketOptions options, Instant now, TcpSeq minIss, uint? tsOffset = null)
    {
        var secrets = Secrets();
        var iss = secrets.Isn.Next(tuple.Local, tuple.Remote, now);
        if (minIss != default && iss <= minIss)
        {
            iss = minIss + 65536; // RFC 6191 §2: the new incarnation starts beyond the old one's sequence space
        }
        var socket = new TcpSocket(this, _nextTcpId++, tuple, options, iss, tsOffset ?? (uint)_random.Next(), now);
        _tcpTable.Add(tuple, socket);
        socket.TableIndex = _tcpList.Count;
        _tcpList.Add(socket);
        return socket;
    }

    internal void OnTcpEstablished(TcpSocket socket, Instant now)
    {
        Publish(new TcpConnectionEstablished(now, socket.Id, socket.LocalEndpoint, socket.RemoteEndpoint));
        if (socket.Listener is { } listener)
        {
            ReleaseHalfOpen(socket);
            if (listener.IsClosed || listener.AcceptQueueFull)
            {
                // Linux drops the ACK and lets the peer retry; we refuse outright so the peer learns at once.
                Counters.Drop(DropReason.TcpListenOverflow);
                socket.Listener = null;
                socket.Abort();
                return;
            }
            listener.Enqueue(socket);
            if (!listener.AcceptReadyQueued)
            {
                listener.AcceptReadyQueued = true;
                _tcpAcceptReady.Enqueue(listener);
            }
        }
    }

    /// <summary>The socket reached TIME-WAIT or CLOSED: report once; CLOSED also leaves the table.</summary>
    internal void OnTcpFinished(TcpSocket socket, Instant now)
    {
        if (!socket.ClosedEventPublished)
        {
            socket.ClosedEventPublished = true;
            Publish(new TcpConnectionClosed(now, socket.Id, socket.LocalEndpoint, socket.RemoteEndpoint, socket.Error));
        }
        if (socket.State == TcpState.TimeWait)
        {
            _tcpTimeWait.Enqueue(socket);
            socket.CountedTimeWait = true;
            _tcpTimeWaitCount++;
            while (_tcpTimeWaitCount > _options.TcpMaxTimeWait && _tcpTimeWait.TryDequeue(out var oldest))
            {
                if (oldest.State == TcpState.TimeWait)
                {
                    Counters.TcpTimeWaitReclaimed++;
                    oldest.Reclaim(now); // decrements the count through RemoveTcp
                }
            }
            return;
        }
        RemoveTcp(socket);
    }

    internal void RemoveTcp(TcpSocket socket)
    {
        int index = socket.TableIndex;
        if (index < 0)
        {
            return;
        }
        ReleaseHalfOpen(socket);
        if (socket.CountedTimeWait)
        {
            socket.CountedTimeWait = false;
            _tcpTimeWaitCount--;
        }
        _tcpTable.Remove(socket.Tuple);
        int last = _tcpList.Count - 1;
        var moved = _tcpList[last];
        _tcpList[index] = moved;
        moved.TableIndex = index;
        _tcpList.RemoveAt(last);
        socket.TableIndex = -1;
    }

    private void ReleaseHalfOpen(TcpSocket socket)
    {
        if (socket.CountedHalfOpen)
        {
            socket.CountedHalfOpen = false;
            socket.Listener!.HalfOpen--;
            _tcpHalfOpen--;
        }
    }

    internal void CloseListener(TcpListener listener) => _tcpListeners.Remove(listener.Port);

    private bool IsTcpPortUsed(ushort port)
    {
        foreach (var s in _tcpList)
        {
            if (s.Tuple.LocalPort == port)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// RFC 6056 §3.3.3 algorithm 3 (simple hash-based): offset = F(local, remote, secret), then probe
    /// min + (offset + next_ephemeral) mod range, so each destination sees its own random-looking sequence while
    /// ports are reused as late as possible.
    /// </summary>
    private ushort AllocateTcpPort(Ipv4Address local, Ipv4Endpoint remote, TcpSecrets secrets)
    {
        const int count = EphemeralPortMax - EphemeralPortMin + 1;
        uint offset = secrets.PortOffset(local, remote);
        for (int i = 0; i < count; i++)
        {
            ushort port = (ushort)(EphemeralPortMin + ((offset + secrets.NextEphemeral++) % count));
            if (!_tcpListeners.ContainsKey(port) && !_tcpTable.ContainsKey(new TcpFourTuple(local, port, remote.Address, remote.Port)))
            {
                return port;
            }
        }
        throw new StackException(StackError.NoEphemeralPorts, $"No ephemeral TCP port is free towards {remote}.");
    }

    /// <summary>Keys and limiters, created on first TCP use so stacks without TCP draw nothing from the Random.</summary>
    private TcpSecrets Secrets() => _tcpSecrets ??= new TcpSecrets(_random, _options.TcpChallengeAckLimit, _now);

    private sealed class TcpSecrets(Random random, int challengeAckLimit, Instant now)
    {
        private readonly ulong _portKey0 = (ulong)random.NextInt64();
        private readonly ulong _portKey1 = (ulong)random.NextInt64();

        public IsnGenerator Isn { get; } = new(random);
        public SynCookies Cookies { get; } = new(random);

        /// <summary>RFC 6056 algorithm 3's next_ephemeral, starting at a random point.</summary>
        public uint NextEphemeral { get; set; } = (uint)random.Next();

        public TokenBucket ChallengeAcks { get; } = new(Math.Max(1, challengeAckLimit),
            TimeSpan.FromTicks(Math.Max(1, TimeSpan.TicksPerSecond / Math.Max(1, challengeAckLimit))), now);

        public uint PortOffset(Ipv4Address local, Ipv4Endpoint remote) =>
            IsnGenerator.TupleHash(_portKey0, _portKey1, new Ipv4Endpoint(local, 0), remote);
    }
}
