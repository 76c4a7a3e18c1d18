namespace Mip.Stack.Phy;

/// <summary>
/// Wraps any device and makes its link misbehave on purpose (smoltcp's fault injector, plus delay, reorder and
/// shaping like netem): drop, duplicate, reorder, delay with jitter, one-bit corruption, truncation, a size limit and
/// a token bucket rate limit, each direction with its own <see cref="FaultOptions"/>. All randomness comes from the
/// <see cref="Random"/> given (one derived generator per direction, so the story of one direction does not depend on
/// the traffic of the other): the same seed and the same calls give the same frames, bit for bit.
/// </summary>
/// <remarks>
/// Frames that are not touched and not waiting behind others pass through without a copy; the rest are copied into
/// pooled buffers and released when due. Receive releases received frames; transmit frames that come due later go
/// out on the next <see cref="Receive"/>, <see cref="Transmit"/> or <see cref="PumpTransmit"/>, so a host loop should
/// also wake at <see cref="NextDueAt"/>. Single-threaded, like the stack.
/// </remarks>
public sealed class FaultInjectingDevice : INetworkDevice, IDisposable
{
    private readonly INetworkDevice _inner;
    private readonly Func<Instant> _clock;
    private readonly FaultLane _rx;
    private readonly FaultLane _tx;
    private readonly FrameHandler _onInnerFrame;

    // State of the Receive call in progress, read by the cached inner-frame callback (no closure per call).
    private FrameHandler? _handler;
    private Instant _now;
    private int _passedThrough;

    /// <summary>The same faults in both directions.</summary>
    public FaultInjectingDevice(INetworkDevice inner, FaultOptions options, Random random, Func<Instant> clock)
        : this(inner, options, options, random, clock)
    {
    }

    public FaultInjectingDevice(INetworkDevice inner, FaultOptions receive, FaultOptions transmit, Random random, Func<Instant> clock)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(receive);
        ArgumentNullException.ThrowIfNull(transmit);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(clock);
        _inner = inner;
        _clock = clock;
        _rx = new FaultLane(receive, new Random(random.Next()));
        _tx = new FaultLane(transmit, new Random(random.Next()));
        _onInnerFrame = OnInnerFrame;
    }

    public int Mtu => _inner.Mtu;

    public bool IsLinkUp => _inner.IsLinkUp;

    /// <summary>What happened to received frames.</summary>
    public FaultCounters ReceiveCounters => _rx.Counters;

    /// <summary>What happened to transmitted frames.</summary>
    public FaultCounters TransmitCounters => _tx.Counters;

    /// <summary>When the next delayed, shaped or held-back frame comes due; <see cref="Instant.MaxValue"/> if none waits.</summary>
    public Instant NextDueAt => Instant.Min(_rx.NextDue, _tx.NextDue);

    public int Receive(FrameHandler handler, int maxFrames)
    {
        var now = _clock();
        SendDueTransmits(now);
        int delivered = DeliverDue(handler, maxFrames, now);
        while (delivered < maxFrames)
        {
            _handler = handler;
            _now = now;
            _passedThrough = 0;
            int pulled;
            try
            {
                pulled = _inner.Receive(_onInnerFrame, maxFrames - delivered);
            }
            finally
            {
                _handler = null;
            }
            delivered += _passedThrough;
            // Frames queued during the pull (duplicates, reorder releases) may already be due.
            delivered += DeliverDue(handler, maxFrames - delivered, now);
            if (pulled == 0)
            {
                break;
            }
        }
        return delivered;
    }

    public bool Transmit(ReadOnlySpan<byte> frame)
    {
        var now = _clock();
        SendDueTransmits(now);
        bool accepted;
        switch (_tx.Offer(frame, now))
        {
            case FaultVerdict.PassThrough:
                accepted = _inner.Transmit(frame);
                if (!accepted)
                {
                    _tx.Counters.InnerRejected++;
                }
                _tx.OnDelivered();
                break;
            case FaultVerdict.Refused:
                accepted = false;
                break;
            default:
                // Queued, or lost on the wire: either way the sender cannot tell.
                accepted = true;
                break;
        }
        SendDueTransmits(now);
        return accepted;
    }

    /// <summary>
    /// Flushes the inner device. Delayed frames still come due only on <see cref="Receive"/>, <see cref="Transmit"/>
    /// and <see cref="PumpTransmit"/>: releasing them here too would change a seeded run's timeline.
    /// </summary>
    public void Flush() => _inner.Flush();

    /// <summary>Sends the transmit frames due now; returns how many went to the inner device.</summary>
    public int PumpTransmit() => SendDueTransmits(_clock());

    /// <summary>Returns the pooled buffers of frames still waiting.</summary>
    public void Dispose()
    {
        _rx.Dispose();
        _tx.Dispose();
    }

    private int SendDueTransmits(Instant now)
    {
        int sent = 0;
        while (_tx.TryTakeDue(now, out var buffer, out int length))
        {
            if (!_inner.Transmit(buffer.AsSpan(0, length)))
            {
                _tx.Counters.InnerRejected++;
            }
            FaultLane.Return(buffer);
            _tx.OnDelivered();
            sent++;
        }
        return sent;
    }

    private int DeliverDue(FrameHandler handler, int maxFrames, Instant now)
    {
        int delivered = 0;
        while (delivered < maxFrames && _rx.TryTakeDue(now, out var buffer, out int length))
        {
            try
            {
                handler(buffer.AsSpan(0, length));
            }
            finally
            {
                FaultLane.Return(buffer);
            }
            _rx.OnDelivered();
            delivered++;
        }
        return delivered;
    }

    private void OnInnerFrame(ReadOnlySpan<byte> frame)
    {
        if (_rx.Offer(frame, _now) == FaultVerdict.PassThrough)
        {
            _handler!(frame);
            _rx.OnDelivered();
            _passedThrough++;
        }
    }
}
