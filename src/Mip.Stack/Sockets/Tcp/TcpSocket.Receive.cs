using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Tcp;

public sealed partial class TcpSocket
{
    /// <summary>RFC 7323 §5.5: TS.Recent older than 24 days is no longer trusted for PAWS.</summary>
    private static readonly TimeSpan PawsIdleLimit = TimeSpan.FromDays(24);

    private TcpSeq _lastAckSent;
    private Instant _tsRecentAt;
    private bool _ackNow;
    private Instant _lastReceiveAt;

    /// <summary>
    /// A segment for this connection arrived (RFC 9293 §3.10.7). The checksum and header were checked by the stack.
    /// Sends what the segment calls for (an ACK, data the ACK let out) before returning.
    /// </summary>
    internal void Process(in TcpRepr segment, ReadOnlySpan<byte> payload, Instant now)
    {
        _segmentsReceived++;
        _lastReceiveAt = now;
        _keepaliveProbes = 0;
        switch (State)
        {
            case TcpState.Closed or TcpState.Listen:
                return;
            case TcpState.SynSent:
                ProcessSynSent(segment, now);
                Output(now);
                return;
        }
        var seg = segment;
        if (seg.HasFlag(TcpFlags.Syn) && State == TcpState.SynReceived && seg.SequenceNumber == _irs)
        {
            if (!seg.HasFlag(TcpFlags.Ack))
            {
                SendSynAck(now); // the peer did not get our SYN-ACK: its SYN came again
                return;
            }
            // Simultaneous open: the peer's SYN-ACK repeats the SYN we already have. Only its new part (the ACK) is
            // processed (RFC 9293 §3.10.7.4: "only the new parts are processed").
            seg = seg with { SequenceNumber = seg.SequenceNumber + 1, Flags = seg.Flags & ~TcpFlags.Syn };
        }

        // RFC 7323 §5.3 R1 (PAWS): a segment whose TSval is older than TS.Recent is a duplicate from an earlier wrap
        // of the sequence space; drop it and acknowledge (not for RST, whose timestamp need not be checked).
        if (_tsEnabled && seg.Timestamp is TcpTimestamp ts && !seg.HasFlag(TcpFlags.Rst)
            && unchecked((int)(ts.TsVal - _tsRecent)) < 0 && now - _tsRecentAt < PawsIdleLimit)
        {
            _stack.Counters.Drop(Iface.DropReason.TcpPaws);
            SendAckNow(now);
            return;
        }

        // First check (RFC 9293 §3.10.7.4): is the segment in the receive window?
        int segLen = payload.Length + (seg.HasFlag(TcpFlags.Syn) ? 1 : 0) + (seg.HasFlag(TcpFlags.Fin) ? 1 : 0);
        if (!IsAcceptable(seg.SequenceNumber, segLen))
        {
            if (!seg.HasFlag(TcpFlags.Rst))
            {
                // "an acknowledgment should be sent in reply" (also answers zero-window probes and, in TIME-WAIT,
                // retransmitted FINs that fall before RCV.NXT).
                if (State == TcpState.TimeWait && seg.HasFlag(TcpFlags.Fin))
                {
                    _timeWaitAt = now + _stack.Options.TcpTimeWait; // RFC 9293 §3.10.7.4: restart the 2 MSL timeout
                }
                SendAckNow(now);
            }
            _stack.Counters.Drop(Iface.DropReason.TcpNotAcceptable);
            return;
        }

        // RFC 7323 §4.3 (R3): remember the timestamp of a segment that covers the last ACK we sent.
        if (_tsEnabled && seg.Timestamp is TcpTimestamp t && seg.SequenceNumber <= _lastAckSent)
        {
            _tsRecent = t.TsVal;
            _tsRecentAt = now;
        }

        // Second check: RST, with RFC 5961 §3.2's stricter rule and RFC 1337's TIME-WAIT exception.
        if (seg.HasFlag(TcpFlags.Rst))
        {
            ProcessReset(seg, now);
            return;
        }

        // Fourth check: a SYN in a synchronized state gets a challenge ACK (RFC 5961 §4.2) and is dropped; this also
        // re-acknowledges a peer whose SYN-ACK we already answered.
        if (seg.HasFlag(TcpFlags.Syn))
        {
            SendChallengeAck(now);
            return;
        }

        // Fifth check: no ACK bit, drop.
        if (!seg.HasFlag(TcpFlags.Ack))
        {
            return;
        }
        if (!ProcessAck(seg, payload.Length, now))
        {
            return;
        }
        if (State == TcpState.Closed)
        {
            return;
        }

        // Seventh: segment text (RFC 9293 §3.10.7.4), only in states that still receive.
        if (!payload.IsEmpty)
        {
            if (State is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2)
            {
                if (_userClosed)
                {
                    // The application closed the socket: nobody will read this. Reset, as Linux does (RFC 9293
                    // §3.10.4 allows aborting; RFC 2525 §2.17 recommends RST when data is lost).
                    _stack.SendTcpReset(Tuple, _sndNxt, default, false, now);
                    Terminate(TcpError.Aborted, now);
                    return;
                }
                ProcessData(seg.SequenceNumber, payload, seg.Timestamp?.TsEcr, now);
            }
        }

        // Eighth: FIN.
        if (seg.HasFlag(TcpFlags.Fin))
        {
            var finSeq = seg.SequenceNumber + payload.Length;
            if (finSeq == _rcvNxt)
            {
                ProcessFin(now);
            }
            else if (finSeq > _rcvNxt)
            {
                _peerFinSeq = finSeq; // after a hole: taken when the data before it arrives
                _ackNow = true;
            }
        }
        Output(now);
    }

    /// <summary>The four cases of the acceptability table in RFC 9293 §3.10.7.4.</summary>
    private bool IsAcceptable(TcpSeq seq, int segLen)
    {
        long wnd = Math.Max(0, _rcvAdvEdge - _rcvNxt);
        if (segLen == 0)
        {
            return wnd == 0 ? seq == _rcvNxt : seq.IsInRange(_rcvNxt, _rcvNxt + (int)wnd);
        }
        if (wnd == 0)
        {
            // "special allowance should be made to accept valid ACKs, URGs, and RSTs": process the control part of
            // a segment at RCV.NXT; its data is trimmed away (and acknowledged) in ProcessData.
            return seq == _rcvNxt;
        }
        var end = _rcvNxt + (int)wnd;
        return seq.IsInRange(_rcvNxt, end) || (seq + (segLen - 1)).IsInRange(_rcvNxt, end);
    }

    private void ProcessReset(in TcpRepr seg, Instant now)
    {
        if (State == TcpState.TimeWait)
        {
            return; // RFC 1337 §3 (TIME-WAIT assassination): ignore RST in TIME-WAIT
        }
        if (seg.SequenceNumber != _rcvNxt)
        {
            // RFC 5961 §3.2: in the window but not exactly RCV.NXT, a blind attacker may be guessing; ask the real
            // peer to confirm with a challenge ACK.
            SendChallengeAck(now);
            return;
        }
        _stack.Counters.TcpResetsReceived++;
        // RFC 9293 §3.10.7.4: SYN-RECEIVED from a passive open goes back to LISTEN (our listener keeps listening; the
        // half-open socket just goes); from an active open the connection was refused. Elsewhere it was reset.
        var error = State == TcpState.SynReceived
            ? (Listener is not null ? TcpError.None : TcpError.ConnectionRefused)
            : TcpError.ConnectionReset;
        Terminate(error, now);
    }

    /// <summary>RFC 5961 §7: challenge ACKs are rate limited stack-wide.</summary>
    private void SendChallengeAck(Instant now)
    {
        if (_stack.TryTakeChallengeAck(now))
        {
            _stack.Counters.TcpChallengeAcks++;
            SendAckNow(now);
        }
    }

    /// <summary>
    /// Stores in-window data in the receive ring at its offset from RCV.NXT (bounded by the ring, RFC 9293 §3.10.7.4
    /// "trim to the window"), advances RCV.NXT over what became contiguous, and decides when to acknowledge.
    /// </summary>
    private void ProcessData(TcpSeq seq, ReadOnlySpan<byte> payload, uint? tsEcr, Instant now)
    {
        int offset = seq - _rcvNxt;
        if (offset < 0)
        {
            if (-offset >= payload.Length)
            {
                _ackNow = true; // wholly duplicate: the peer missed our ACK
                return;
            }
            payload = payload[(-offset)..];
            offset = 0;
        }
        // RFC 9293 §3.10.7.4: trim to the window we advertised (the buffer may have a little more room, but a
        // sender that uses more than we offered is not to be rewarded, and a zero-window probe must not get in).
        int windowRoom = Math.Max(0, _rcvAdvEdge - (_rcvNxt + offset));
        if (payload.Length > windowRoom)
        {
            payload = payload[..windowRoom];
            _ackNow = true;
        }
        bool hadHoles = !_assembler.IsEmpty;
        int stored = payload.IsEmpty ? 0 : _receiveBuffer.WriteAt(offset, payload);
        if (stored < payload.Length)
        {
            _ackNow = true; // part of it fell outside the buffer: tell the peer where the window really is
        }
        if (stored == 0)
        {
            _stack.Counters.Drop(Iface.DropReason.TcpReceiveOverflow);
            return;
        }
        if (_assembler.Add(offset, stored, out int advanced) != Storage.AssemblerResult.Accepted)
        {
            _stack.Counters.Drop(Iface.DropReason.TcpReceiveOverflow);
            _ackNow = true;
            return;
        }
        if (offset > 0)
        {
            // RFC 9293 §3.8.6.3 / RFC 5681 §4.2: out-of-order data is acknowledged at once (a duplicate ACK carrying
            // SACK blocks tells the sender which hole to fill).
            _outOfOrderSegments++;
            _stack.Counters.TcpOutOfOrderSegments++;
            _ackNow = true;
        }
        if (advanced == 0)
        {
            return;
        }
        _receiveBuffer.CommitWrite(advanced);
        _rcvNxt += advanced;
        _bytesReceived += advanced;
        if (hadHoles)
        {
            _ackNow = true; // RFC 5681 §4.2: a segment that fills a hole is acknowledged immediately
        }
        if (_peerFinSeq is TcpSeq fin && fin == _rcvNxt)
        {
            _peerFinSeq = null;
            ProcessFin(now);
        }
        else if (!_ackNow)
        {
            // RFC 9293 §3.8.6.3 / RFC 1122 §4.2.3.2: acknowledge at least every second full-sized segment, and
            // never hold an ACK longer than the delayed-ACK timeout.
            int fullSegment = ReceiveMss - (_tsEnabled ? TimestampOptionBytes : 0);
            if (_rcvNxt - _lastAckSent > fullSegment)
            {
                _ackNow = true;
            }
            else if (_delayedAckAt == Instant.MaxValue)
            {
                _delayedAckAt = now + _options.DelayedAckTimeout;
            }
        }
        SampleReceiverRtt(offset == 0 && !hadHoles ? tsEcr : null, payload.Length, now);
        AutoTuneReceiveBuffer(advanced, now);
        _stack.MarkTcpActivity(this);
    }

    /// <summary>
    /// Feeds the receiver's RTT estimate (see <see cref="ReceiverRttEstimator"/>) after in-order data advanced
    /// RCV.NXT. <paramref name="tsEcr"/> is the segment's echo, given only when it arrived at RCV.NXT with no hole
    /// behind it: one that fills a hole is a retransmission, whose echo may be as old as the loss. Only full-sized
    /// segments (the MSS both ends agreed on, less the option) are timed, like Linux's rcv_mss test.
    /// </summary>
    private void SampleReceiverRtt(uint? tsEcr, int length, Instant now)
    {
        _rcvRtt.OnInOrderData(_rcvNxt, _rcvAdvEdge, now);
        if (_tsEnabled && tsEcr is uint echo && length >= _sendMss - TimestampOptionBytes)
        {
            _rcvRtt.OnTimestampEcho(echo, TsNow(now));
        }
    }

    /// <summary>The peer's FIN is next in sequence (RFC 9293 §3.10.7.4, eighth check).</summary>
    private void ProcessFin(Instant now)
    {
        if (_peerFinReceived)
        {
            _ackNow = true;
            return;
        }
        _peerFinReceived = true;
        _rcvNxt += 1;
        _ackNow = true;
        _stack.MarkTcpActivity(this);
        switch (State)
        {
            case TcpState.SynReceived or TcpState.Established:
                SetState(TcpState.CloseWait, now);
                break;
            case TcpState.FinWait1:
                // Our FIN not yet acknowledged: simultaneous close.
                SetState(_finAcked ? TcpState.TimeWait : TcpState.Closing, now);
                break;
            case TcpState.FinWait2:
                SetState(TcpState.TimeWait, now);
                break;
        }
        if (State == TcpState.TimeWait)
        {
            EnterTimeWait(now);
        }
    }

    /// <summary>
    /// Receive-buffer auto-tuning in the manner of Linux's dynamic right-sizing: per RTT, count what arrived
    /// in order; if the sender filled more than a quarter of the buffer in one RTT it may be window-limited, so grow
    /// the buffer toward four times that (two for slow start's doubling, two for the reader's lag), up to the cap.
    /// </summary>
    private void AutoTuneReceiveBuffer(int advanced, Instant now)
    {
        _drsBytes += advanced;
        if (!(_rcvRtt.HasSample || _rtt.HasSample) || _receiveBuffer.Capacity >= _options.MaxReceiveBufferBytes)
        {
            return;
        }
        // The receiver's estimate whenever it has one, as Linux (tcp_rcv_space_adjust uses only rcv_rtt_est): it
        // times the loop this sizes, window offered to data arriving. SRTT times another loop (our data to the peer's
        // ACK, delayed ACKs included), and on a connection that sends nothing it is the handshake's sample for good:
        // one slow handshake (a cold JIT: 40-50 ms on a microsecond path) made every period that long and grew the
        // buffer to the maximum. SRTT stands in only until the first receiver sample, at most one window of data.
        var rtt = _rcvRtt.HasSample ? _rcvRtt.Rtt : _rtt.SmoothedRtt;
        // Floor (as before): 1 ms, the timestamp clock's tick. Under it timestamps give only a bound, and a shorter
        // period would count single poll batches.
        var period = rtt < ReceiverRttEstimator.TimestampGranularity ? ReceiverRttEstimator.TimestampGranularity : rtt;
        if (now - _drsStart < period)
        {
            return;
        }
        if (_drsBytes * 4 > _receiveBuffer.Capacity)
        {
            long target = Math.Min(_options.MaxReceiveBufferBytes, Math.Max(_drsBytes * 4, (long)_receiveBuffer.Capacity * 2));
            if (target > _receiveBuffer.Capacity)
            {
                _receiveBuffer.Resize((int)target);
            }
        }
        _drsStart = now;
        _drsBytes = 0;
    }

    private long _drsBytes;
    private Instant _drsStart;
    private readonly ReceiverRttEstimator _rcvRtt = new();
}
