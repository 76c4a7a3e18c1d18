using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Tcp;

public sealed partial class TcpSocket
{
    /// <summary>
    /// Half-close (RFC 9293 §3.10.4 CLOSE): no more data will be sent; a FIN follows what is queued. The receive side
    /// stays open until the peer's FIN.
    /// </summary>
    public void Shutdown()
    {
        var now = _stack.Now;
        switch (State)
        {
            case TcpState.SynSent:
                // "delete the TCB": nothing was sent but the SYN.
                Terminate(TcpError.None, now);
                return;
            case TcpState.SynReceived:
                _finQueued = true; // the FIN goes out once ESTABLISHED (RFC 9293 §3.10.4)
                return;
            case TcpState.Established:
                _finQueued = true;
                SetState(TcpState.FinWait1, now);
                break;
            case TcpState.CloseWait:
                _finQueued = true;
                SetState(TcpState.LastAck, now);
                break;
            default:
                return;
        }
        _stack.ScheduleTcpOutput(this);
    }

    /// <summary>
    /// Closes the socket for the application. Graceful (FIN after queued data) unless unread data remains or
    /// <see cref="TcpSocketOptions.Linger"/> is zero, in which case the connection is reset (RFC 9293 §3.10.4; RFC 2525
    /// §2.17: data the application will never read must not look delivered). The socket finishes the FIN exchange on
    /// its own; data arriving after Close resets the connection.
    /// </summary>
    public void Close()
    {
        var now = _stack.Now;
        _userClosed = true;
        if (State == TcpState.Closed)
        {
            _stack.RemoveTcp(this);
            return;
        }
        if (_options.Linger == TimeSpan.Zero || _receiveBuffer.Count > 0 || _assembler.BufferedBytes > 0)
        {
            AbortWithReset(TcpError.Aborted, now);
            return;
        }
        Shutdown();
        if (_options.Linger is TimeSpan linger && linger > TimeSpan.Zero && State != TcpState.Closed)
        {
            _lingerAt = now + linger;
        }
    }

    /// <summary>Resets the connection now (RFC 9293 §3.10.5 ABORT): RST to the peer, socket freed.</summary>
    public void Abort()
    {
        _userClosed = true;
        AbortWithReset(TcpError.Aborted, _stack.Now);
    }

    /// <summary>Sends RST &lt;SEQ=SND.NXT&gt; if the peer knows our sequence numbers, then closes with <paramref name="error"/>.</summary>
    private void AbortWithReset(TcpError error, Instant now)
    {
        if (State is TcpState.SynReceived or TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2
            or TcpState.CloseWait or TcpState.Closing or TcpState.LastAck)
        {
            _stack.SendTcpReset(Tuple, _sndNxt, default, false, now);
        }
        Terminate(error, now);
    }

    /// <summary>Enters CLOSED: stops every timer, frees the table entry, reports the end.</summary>
    private void Terminate(TcpError error, Instant now)
    {
        if (State == TcpState.Closed)
        {
            return;
        }
        if (Error == TcpError.None)
        {
            Error = error;
        }
        _rtoAt = _persistAt = _delayedAckAt = _timeWaitAt = _connectDeadline = _lingerAt = Instant.MaxValue;
        _ackNow = false;
        if (error != TcpError.None)
        {
            _sendBuffer.Clear();
        }
        SetState(TcpState.Closed, now);
    }

    /// <summary>
    /// RFC 6191 §2 (and RFC 9293 §3.10.7.4's note on TIME-WAIT): a new SYN may end TIME-WAIT early when it cannot be
    /// confused with the old incarnation: its timestamp is newer than TS.Recent, or without timestamps its sequence
    /// number is beyond RCV.NXT.
    /// </summary>
    internal bool AcceptsNewSyn(in TcpRepr syn)
    {
        if (State != TcpState.TimeWait)
        {
            return false;
        }
        if (_tsEnabled && syn.Timestamp is TcpTimestamp ts)
        {
            return unchecked((int)(ts.TsVal - _tsRecent)) > 0;
        }
        return syn.SequenceNumber > _rcvNxt;
    }

    /// <summary>The highest sequence number this incarnation used; a successor's ISN must lie beyond it.</summary>
    internal TcpSeq SendMax => _sndMax;

    /// <summary>Removes a TIME-WAIT connection early (reclaimed under pressure or reused by a new SYN).</summary>
    internal void Reclaim(Instant now) => Terminate(TcpError.None, now);
}
