namespace Mip.Stack.Sockets.Tcp;

/// <summary>
/// Send-side sizing: the send buffer grows with the congestion window (Linux's tcp_sndbuf_expand), and the window
/// grows only while it is actually used (RFC 7661 §4.1, Linux's tcp_is_cwnd_limited).
/// </summary>
public sealed partial class TcpSocket
{
    // The writer found the send buffer full since the last expansion (Linux's SOCK_NOSPACE).
    private bool _sendBufferWasFull;

    // Congestion-window validation: the largest flight of the current window of data, and whether sending stopped
    // because cwnd was used up in it. A window ends when SND.UNA passes _cwndUsageSeq.
    private long _maxFlight;
    private bool _cwndLimited;
    private Wire.TcpSeq _cwndUsageSeq;

    /// <summary>
    /// The send buffer caps the flight: a full buffer with cwnd to spare means the buffer, not the network, is the
    /// limit. Then it doubles (up to <see cref="TcpSocketOptions.MaxSendBufferBytes"/>), so that about two congestion
    /// windows fit, one in flight and one queued behind it, as Linux sizes it. Called after an ACK freed space.
    /// </summary>
    private void MaybeExpandSendBuffer()
    {
        if (!_sendBufferWasFull || _sendBuffer.Capacity >= _options.MaxSendBufferBytes)
        {
            return;
        }
        long flight = _sndMax - _sndUna;
        if (flight >= _cc.CongestionWindow || _inRecovery)
        {
            return; // the network is the limit (or is being probed for loss): a bigger buffer would only queue
        }
        long target = Math.Min(_options.MaxSendBufferBytes, Math.Max(2 * _cc.CongestionWindow, 2L * _sendBuffer.Capacity));
        target = Math.Min(target, Math.Max(_options.MaxSendBufferBytes, _sendBuffer.Capacity));
        if (target > _sendBuffer.Capacity && _sendBuffer.Resize((int)target))
        {
            _sendBufferWasFull = false;
            _stack.MarkTcpActivity(this); // writable: more room than before
        }
    }

    /// <summary>
    /// Records the flight after sending (Linux's tcp_cwnd_validate): a new window of data starts when SND.UNA passed
    /// the end of the previous one, or earlier as soon as cwnd limits the sender.
    /// </summary>
    private void TrackCwndUsage(bool stoppedByCwnd)
    {
        long flight = _sndMax - _sndUna;
        if (_sndUna >= _cwndUsageSeq || stoppedByCwnd || (!_cwndLimited && flight > _maxFlight))
        {
            _cwndLimited = stoppedByCwnd;
            _maxFlight = flight;
            _cwndUsageSeq = _sndMax;
        }
    }

    /// <summary>
    /// RFC 7661 §4.1 / RFC 5681 §3.1's "cwnd MUST NOT be increased when not fully utilized": in slow start the window
    /// may grow while it is under twice the largest recent flight; in congestion avoidance only if the sender was
    /// limited by it. An application- or receive-window-limited sender that grew cwnd regardless would later send the
    /// whole unvalidated window in one burst.
    /// </summary>
    private bool IsCwndLimited => _cc.CongestionWindow < _cc.SlowStartThreshold
        ? _cc.CongestionWindow < 2 * _maxFlight
        : _cwndLimited;
}
