using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Tcp;

/// <summary>
/// Every timer is a deadline field (<see cref="Instant.MaxValue"/> = off); <see cref="NextDeadline"/> is their
/// minimum and <see cref="PollTimers"/> runs the due ones. The stack scans sockets' deadlines each poll.
/// </summary>
public sealed partial class TcpSocket
{
    /// <summary>RTO backoffs before an established connection gives up (Linux's tcp_retries2 = 15).</summary>
    internal const int MaxRetransmissions = 15;

    private Instant _rtoAt = Instant.MaxValue;
    private Instant _persistAt = Instant.MaxValue;
    private Instant _persistSince = Instant.MaxValue;
    private Instant _delayedAckAt = Instant.MaxValue;
    private Instant _timeWaitAt = Instant.MaxValue;
    private Instant _connectDeadline = Instant.MaxValue;
    private Instant _lingerAt = Instant.MaxValue;
    private int _rtoRetries;
    private int _synRetries;
    private int _persistBackoff;
    private int _keepaliveProbes;

    /// <summary>When the next timer of this socket is due (<see cref="Instant.MaxValue"/> if none).</summary>
    internal Instant NextDeadline
    {
        get
        {
            if (State == TcpState.Closed)
            {
                return Instant.MaxValue;
            }
            var next = Instant.Min(Instant.Min(_rtoAt, _persistAt), Instant.Min(_delayedAckAt, _timeWaitAt));
            next = Instant.Min(next, Instant.Min(_connectDeadline, _lingerAt));
            next = Instant.Min(next, Instant.Min(KeepaliveDeadline, UserTimeoutDeadline));
            next = Instant.Min(next, Instant.Min(_tlpAt, _rackTimerAt));
            return next;
        }
    }

    /// <summary>RFC 1122 §4.2.3.6: probe only an idle connection, with nothing unacknowledged or waiting.</summary>
    private Instant KeepaliveDeadline =>
        _options.KeepAlive && State is TcpState.Established or TcpState.CloseWait && _sndMax == _sndUna
            && _sendBuffer.Count == 0
            ? _lastReceiveAt + _options.KeepAliveIdle + (_options.KeepAliveInterval * _keepaliveProbes)
            : Instant.MaxValue;

    /// <summary>RFC 5482 / RFC 9293 §3.8.3: how long sent data (or a zero-window probe) may stay unanswered.</summary>
    private Instant UserTimeoutDeadline
    {
        get
        {
            if (_options.UserTimeout is not TimeSpan timeout || State < TcpState.Established)
            {
                return Instant.MaxValue;
            }
            if (_sndMax != _sndUna)
            {
                return _lastAckProgressAt + timeout;
            }
            return _persistSince == Instant.MaxValue ? Instant.MaxValue : _persistSince + timeout;
        }
    }

    /// <summary>Runs every timer due at <paramref name="now"/>.</summary>
    internal void PollTimers(Instant now)
    {
        if (now >= _connectDeadline && State is TcpState.SynSent or TcpState.SynReceived)
        {
            // Report why, if an ICMP error said (RFC 1122 §4.2.3.9: soft errors are reported, not acted on).
            Terminate(TimeoutError, now);
            return;
        }
        if (now >= UserTimeoutDeadline)
        {
            AbortWithReset(TimeoutError, now);
            return;
        }
        if (now >= _lingerAt)
        {
            AbortWithReset(TcpError.Aborted, now);
            return;
        }
        if (now >= _timeWaitAt)
        {
            Terminate(TcpError.None, now); // RFC 9293 §3.10.8: TIME-WAIT timeout, delete the TCB
            return;
        }
        if (now >= _rtoAt)
        {
            OnRetransmissionTimeout(now);
            if (State == TcpState.Closed)
            {
                return;
            }
        }
        if (now >= _rackTimerAt)
        {
            RackDetect(now); // RFC 8985 §6.3: the reordering window of a suspect segment ran out
        }
        if (now >= _tlpAt)
        {
            SendTailLossProbe(now);
        }
        if (now >= _persistAt)
        {
            SendWindowProbe(now);
        }
        if (now >= KeepaliveDeadline)
        {
            if (_keepaliveProbes >= _options.KeepAliveCount)
            {
                AbortWithReset(TimeoutError, now);
                return;
            }
            _keepaliveProbes++;
            // RFC 1122 §4.2.3.6: a keepalive is an ACK with SEG.SEQ = SND.NXT − 1, which the peer must answer.
            var probe = BuildRepr(_sndNxt - 1, TcpFlags.Ack, now);
            _stack.TransmitTcp(this, probe, [], [], now);
            _segmentsSent++;
        }
        if (now >= _delayedAckAt)
        {
            _delayedAckAt = Instant.MaxValue;
            _ackNow = true;
        }
        Output(now);
    }

    /// <summary>RFC 6298 §5.4-5.7 with RFC 5681 §3.1 (cwnd to one segment) and go-back-N from SND.UNA.</summary>
    private void OnRetransmissionTimeout(Instant now)
    {
        _rtoAt = Instant.MaxValue;
        if (State is TcpState.SynSent or TcpState.SynReceived)
        {
            _synRetries++;
            if (State == TcpState.SynReceived && _synRetries > MaxSynAckRetries)
            {
                Terminate(TcpError.TimedOut, now); // the half-open connection is reaped
                return;
            }
            // RFC 6298 §5.5: double the timer per retransmission (1, 2, 4 ... s); §5.7's 3 s floor applies once the
            // connection is established (AcknowledgeSyn).
            _rtt.Backoff();
            _retransmitsRto++;
            _stack.Counters.TcpRetransmitsRto++;
            if (State == TcpState.SynSent)
            {
                SendSyn(now);
            }
            else
            {
                SendSynAck(now);
            }
            _rtoAt = now + _rtt.Rto;
            return;
        }
        if (_sndMax == _sndUna)
        {
            return;
        }
        if (++_rtoRetries > MaxRetransmissions)
        {
            AbortWithReset(TimeoutError, now);
            return;
        }
        _tlpAt = Instant.MaxValue;
        _rackTimerAt = Instant.MaxValue;
        _cc.OnCongestionEvent(now, CongestionEvent.RetransmissionTimeout, _sndMax - _sndUna);
        _rtt.Backoff();
        _inRecovery = false;
        _dupAcks = 0;
        // RFC 6582 §3.2 step 4 note / RFC 6675 §5.1: after a timeout, "recover" is the highest sequence sent, and the
        // SACK scoreboard is cleared (RFC 2018 §8: the receiver may have reneged).
        _recoveryPoint = _sndMax;
        _highRxt = _sndUna;
        ClearScoreboard();
        _sndNxt = _sndUna;
        Output(now);
        _rtoAt = now + _rtt.Rto;
    }

    private void ArmPersist(Instant now)
    {
        if (_persistSince == Instant.MaxValue)
        {
            _persistSince = now;
            _lastAckProgressAt = now;
        }
        var interval = _rtt.Rto;
        for (int i = 0; i < _persistBackoff && interval < _options.MaxRto; i++)
        {
            interval *= 2;
        }
        if (interval > _options.MaxRto)
        {
            interval = _options.MaxRto;
        }
        _persistAt = now + interval;
    }

    /// <summary>
    /// RFC 9293 §3.8.6.1: probe a zero window with one byte beyond it, backing off exponentially while the window
    /// stays closed (RFC 1122 §4.2.2.17). SND.NXT is not advanced; an accepted probe is acknowledged past it.
    /// </summary>
    private void SendWindowProbe(Instant now)
    {
        _persistAt = Instant.MaxValue;
        int offset = _sndNxt - _bufferSeq;
        if (_sndWnd > 0 || offset >= _sendBuffer.Count)
        {
            _persistBackoff = 0;
            return;
        }
        var repr = BuildRepr(_sndNxt, TcpFlags.Ack, now);
        _sendBuffer.GetReadableSpans(offset, 1, out var first, out var second);
        _stack.TransmitTcp(this, repr, first, second, now);
        AfterAckSent(repr);
        _segmentsSent++;
        _sndMax = TcpSeq.Max(_sndMax, _sndNxt + 1);
        _persistBackoff++;
        ArmPersist(now);
    }

    private void EnterTimeWait(Instant now)
    {
        _rtoAt = Instant.MaxValue;
        _persistAt = Instant.MaxValue;
        _delayedAckAt = Instant.MaxValue;
        _lingerAt = Instant.MaxValue;
        _tlpAt = Instant.MaxValue;
        _rackTimerAt = Instant.MaxValue;
        _timeWaitAt = now + _stack.Options.TcpTimeWait; // RFC 9293 §3.10.7.4: 2 MSL
        _ackNow = true;
    }
}
