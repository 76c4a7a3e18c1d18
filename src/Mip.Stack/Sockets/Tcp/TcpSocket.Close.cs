using Mip.Stack.Iface;
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
            case TcpState.SynSent or TcpState.SynReceived:
                // RFC 9293 §3.10.2: data sent while connecting is queued "for transmission after entering ESTABLISHED
                // state"; the FIN follows it then, as §3.10.4 says for SYN-RECEIVED. (Deleting the TCB, §3.10.4's rule
                // for CLOSE in SYN-SENT, would silently discard the queued data: Close does that, Shutdown must not.)
                _finQueued = true;
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
        if (State == TcpState.SynSent)
        {
            Terminate(TcpError.None, now); // RFC 9293 §3.10.4: CLOSE in SYN-SENT deletes the TCB
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
        ArmOrphanFinTimeout(now);
    }

    /// <summary>
    /// Our FIN is acknowledged: lingering is over (the data got there). If the application has closed the socket, a
    /// peer that never sends its FIN must not keep it in FIN-WAIT-2 forever: it is dropped after the TIME-WAIT
    /// period, like Linux's tcp_fin_timeout (RFC 9293 leaves FIN-WAIT-2 unbounded; RFC 1122 §4.2.2.20 allows this).
    /// </summary>
    private void ArmOrphanFinTimeout(Instant now)
    {
        if (State != TcpState.FinWait2)
        {
            return;
        }
        _lingerAt = Instant.MaxValue;
        if (_userClosed && _timeWaitAt == Instant.MaxValue)
        {
            _timeWaitAt = now + _stack.Options.TcpTimeWait;
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
        _rtoAt = _persistAt = _delayedAckAt = _timeWaitAt = _connectDeadline = _lingerAt = _tlpAt = _rackTimerAt = Instant.MaxValue;
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

    /// <summary>
    /// The interface no longer owns this connection's local address. No RST: it would leave from an address that is
    /// not ours (possibly already someone else's, RFC 5227), and the peer could not answer to it anyway. A connection
    /// in TIME-WAIT is just forgotten; any other ends with <see cref="TcpError.AddressLost"/>.
    /// </summary>
    internal void OnLocalAddressLost(Instant now) =>
        Terminate(State == TcpState.TimeWait ? TcpError.None : TcpError.AddressLost, now);

    /// <summary>Removes a TIME-WAIT connection early (reclaimed under pressure or reused by a new SYN).</summary>
    internal void Reclaim(Instant now) => Terminate(TcpError.None, now);

    /// <summary>
    /// The last soft error (ICMP or ARP unreachable) since the peer last acknowledged progress: RFC 1122 §4.2.3.9 says
    /// to report it rather than act on it, so a timeout reports it instead of a bare <see cref="TcpError.TimedOut"/>
    /// (like Linux's sk_err_soft, which tcp_write_err reports and an advancing ACK clears).
    /// </summary>
    private TcpError _softError;

    private TcpError TimeoutError => _softError != TcpError.None ? _softError : TcpError.TimedOut;

    /// <summary>
    /// ARP gave up on the next hop towards the peer (no answer to its requests). In SYN-SENT the connect fails at once
    /// with <see cref="TcpError.HostUnreachable"/>, like Linux's EHOSTUNREACH: unlike an ICMP message, which anyone
    /// could forge (RFC 5927), this is our own link's verdict, and retrying the SYN would only repeat the same ARP
    /// round. Otherwise the error is soft (RFC 1122 §4.2.3.9): the connection keeps retransmitting, which starts a new
    /// resolution, and reports it only if it then times out.
    /// </summary>
    internal void OnNextHopUnreachable(Instant now)
    {
        switch (State)
        {
            case TcpState.SynSent:
                Terminate(TcpError.HostUnreachable, now);
                break;
            case TcpState.Closed or TcpState.Listen or TcpState.TimeWait:
                break;
            default:
                _softError = TcpError.HostUnreachable;
                break;
        }
    }

    /// <summary>
    /// ICMP destination unreachable about a segment we sent. RFC 5927 §4.1: act only if the quoted sequence number is
    /// one we have outstanding. Fragmentation needed (RFC 1191): the stack has lowered the path MTU; resend at the
    /// new size now instead of waiting for the timer. Port and protocol unreachable during SYN-SENT are hard errors
    /// (RFC 1122 §4.2.3.9); everything else is soft: remembered and reported if the connection later times out.
    /// </summary>
    internal void OnDestinationUnreachable(IcmpUnreachableCode code, TcpSeq seq, Instant now)
    {
        if (!seq.IsInRange(_sndUna, _sndMax) && !(State == TcpState.SynSent && seq == _iss))
        {
            return;
        }
        switch (code)
        {
            case IcmpUnreachableCode.FragmentationNeeded:
                if (State >= TcpState.Established && _sndMax != _sndUna)
                {
                    _sndNxt = _sndUna;
                    ClearScoreboard();
                    Output(now);
                }
                break;
            case IcmpUnreachableCode.PortUnreachable or IcmpUnreachableCode.ProtocolUnreachable when State == TcpState.SynSent:
                Terminate(TcpError.ConnectionRefused, now);
                break;
            case IcmpUnreachableCode.NetUnreachable or IcmpUnreachableCode.DestinationNetworkUnknown
                or IcmpUnreachableCode.NetworkUnreachableForTos or IcmpUnreachableCode.NetworkAdministrativelyProhibited:
                _softError = TcpError.NetworkUnreachable;
                break;
            default:
                _softError = TcpError.HostUnreachable;
                break;
        }
    }
}
