using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Tcp;

public sealed partial class TcpSocket
{
    /// <summary>Bytes the timestamps option takes in every segment once negotiated (NOP NOP TS, RFC 7323 Appendix A).</summary>
    internal const int TimestampOptionBytes = 12;

    /// <summary>Segments one <see cref="Output"/> call may send, so one socket cannot monopolise a poll.</summary>
    private const int MaxSegmentsPerOutput = 512;

    /// <summary>Sequence number of our FIN (valid once queued: the send buffer no longer grows).</summary>
    private TcpSeq FinSeq => _bufferSeq + _sendBuffer.Count;

    /// <summary>Our timestamp clock: milliseconds plus a per-connection offset (RFC 7323 §5.4).</summary>
    private uint TsNow(Instant now) => TsClock(now, _tsOffset);

    /// <summary>The timestamp clock of a connection whose offset is <paramref name="offset"/> (also used for cookie SYN-ACKs).</summary>
    internal static uint TsClock(Instant now, uint offset) => unchecked((uint)(now.Microseconds / 1000) + offset);

    /// <summary>
    /// Sends what the windows and the send policy allow: lost segments during SACK recovery (RFC 6675 NextSeg), new
    /// data (Nagle, sender SWS avoidance), the FIN, and a pure ACK if one is owed and nothing else carried it.
    /// Called after every processed segment, after user writes (at the next poll) and from timers.
    /// </summary>
    internal void Output(Instant now)
    {
        if (State is TcpState.Closed or TcpState.Listen or TcpState.SynSent)
        {
            return;
        }
        if (State == TcpState.SynReceived)
        {
            if (_ackNow)
            {
                SendSynAck(now);
            }
            return;
        }
        bool canSendData = State is TcpState.Established or TcpState.CloseWait or TcpState.FinWait1
            or TcpState.Closing or TcpState.LastAck;
        if (canSendData)
        {
            SendData(now);
            // Stopped by cwnd: data waits that the window (not the peer's, not Nagle) holds back.
            bool pending = _sendBuffer.Count - (_sndNxt - _bufferSeq) > 0;
            TrackCwndUsage(pending && _cc.CongestionWindow - (_sndNxt - _sndUna) < _cc.Mss);
        }
        if (_ackNow)
        {
            SendAckNow(now);
        }
    }

    private void SendData(Instant now)
    {
        int mss = SegmentPayloadLimit(now);
        for (int budget = MaxSegmentsPerOutput; budget > 0; budget--)
        {
            long room;
            if (_inRecovery && _sackEnabled)
            {
                // RFC 6675 §5 step (C): while cwnd − pipe ≥ 1 SMSS, send NextSeg; cwnd is ssthresh in recovery.
                long pipe = Pipe(now, out var lostSeq, out int lostLength);
                room = _cc.SlowStartThreshold - pipe;
                if (room < _cc.Mss)
                {
                    break;
                }
                if (lostLength > 0)
                {
                    int len = Math.Min(lostLength, mss);
                    TransmitRange(lostSeq, len, now, retransmit: RetransmitKind.Fast);
                    _highRxt = lostSeq + len;
                    continue;
                }
            }
            else
            {
                room = _cc.CongestionWindow - (_sndNxt - _sndUna);
            }

            int offset = _sndNxt - _bufferSeq;
            int available = Math.Max(0, _sendBuffer.Count - offset);
            long windowRoom = (_sndUna + (int)Math.Min(_sndWnd, int.MaxValue)) - _sndNxt;
            int length = (int)Math.Clamp(Math.Min(Math.Min(room, windowRoom), Math.Min(mss, available)), 0, mss);
            bool finPending = _finQueued && !_finAcked && _sndNxt <= FinSeq;
            bool sendFin = finPending && length == available && _sndNxt + length == FinSeq;
            if (length == 0 && !(sendFin && available == 0))
            {
                if (available > 0 && windowRoom <= 0 && _sndNxt == _sndUna && _persistAt == Instant.MaxValue)
                {
                    // RFC 9293 §3.8.6.1: a zero window with data waiting: probe it.
                    ArmPersist(now);
                }
                break;
            }
            if (sendFin && length == 0 && room <= 0 && _sndNxt != _sndUna)
            {
                break; // the FIN waits for the window like data
            }
            if (length < mss && length < available && length < _maxSndWnd / 2 && _sndNxt != _sndUna)
            {
                break; // RFC 9293 §3.8.6.2.1 (sender SWS): neither a full segment nor half the largest window
            }
            bool isNew = _sndNxt >= _sndMax;
            if (length > 0 && length < mss && isNew && !_options.NoDelay && _sndMax != _sndUna && !sendFin)
            {
                break; // RFC 9293 §3.7.4 (Nagle): a small segment waits while data is unacknowledged
            }
            var kind = isNew ? RetransmitKind.None : RetransmitKind.Rto;
            TransmitRange(_sndNxt, length, now, kind, sendFin);
            if (isNew && length > 0 && !_tsEnabled)
            {
                _rtt.StartTiming(_sndNxt + length, now);
            }
            if (isNew && length > 0 && _tlpAt == Instant.MaxValue)
            {
                ArmTailLossProbe(now);
            }
            _sndNxt += length + (sendFin ? 1 : 0);
            if (_sndNxt > _sndMax)
            {
                _sndMax = _sndNxt;
            }
            if (sendFin)
            {
                break;
            }
        }
    }

    private enum RetransmitKind : byte
    {
        None,
        Rto,
        Fast,
    }

    /// <summary>
    /// Sends <paramref name="length"/> bytes starting at <paramref name="seq"/>, straight from the send ring (two
    /// spans, no copy before the frame), with ACK, window, timestamps and SACK blocks.
    /// </summary>
    private void TransmitRange(TcpSeq seq, int length, Instant now, RetransmitKind retransmit, bool fin = false)
    {
        var flags = TcpFlags.Ack | (fin ? TcpFlags.Fin : TcpFlags.None);
        if (length > 0 && seq + length == _bufferSeq + _sendBuffer.Count)
        {
            flags |= TcpFlags.Psh; // the last queued byte: let the receiver deliver (RFC 9293 §3.9.1.2)
        }
        var repr = BuildRepr(seq, flags, now);
        _sendBuffer.GetReadableSpans(seq - _bufferSeq, length, out var first, out var second);
        _stack.TransmitTcp(this, repr, first, second, now);
        RackRecordTransmit(seq, length, now, isNew: seq >= _sndMax);
        AfterAckSent(repr);
        _segmentsSent++;
        _bytesSent += length;
        if (_sndMax == _sndUna && _rtoAt == Instant.MaxValue)
        {
            _lastAckProgressAt = now; // the user timeout counts from the oldest unacknowledged transmission
        }
        if (_rtoAt == Instant.MaxValue)
        {
            _rtoAt = now + _rtt.Rto; // RFC 6298 §5.1
        }
        switch (retransmit)
        {
            case RetransmitKind.Rto:
                _retransmitsRto++;
                _stack.Counters.TcpRetransmitsRto++;
                _rtt.OnRetransmit();
                break;
            case RetransmitKind.Fast:
                _retransmitsFast++;
                _stack.Counters.TcpRetransmitsFast++;
                _rtt.OnRetransmit();
                break;
        }
    }

    /// <summary>Resends the segment at SND.UNA (fast retransmit, NewReno partial ACK, RTO).</summary>
    private void RetransmitFirst(Instant now, bool fast)
    {
        int mss = SegmentPayloadLimit(now);
        int available = Math.Max(0, _sendBuffer.Count - (_sndUna - _bufferSeq));
        int length = Math.Min(mss, available);
        bool fin = _finQueued && !_finAcked && _sndUna + length == FinSeq && _sndMax > FinSeq;
        if (length == 0 && !fin)
        {
            return;
        }
        TransmitRange(_sndUna, length, now, fast ? RetransmitKind.Fast : RetransmitKind.Rto, fin);
        if (_sackEnabled)
        {
            _highRxt = TcpSeq.Max(_highRxt, _sndUna + length);
        }
    }

    /// <summary>A pure ACK (or the SYN-ACK again while SYN-RECEIVED, or a bare ACK in TIME-WAIT).</summary>
    private void SendAckNow(Instant now)
    {
        if (State == TcpState.SynReceived)
        {
            SendSynAck(now);
            return;
        }
        if (State is TcpState.Closed or TcpState.Listen or TcpState.SynSent)
        {
            return;
        }
        // A pure ACK carries SND.MAX, not a SND.NXT that a timeout rewound for go-back-N: the peer has probably seen
        // more than SND.NXT already, and would find an older sequence number unacceptable and drop the ACK with it
        // (RFC 9293 §3.10.7.4). Two peers rewinding at once would then never hear each other's ACKs (BSD does the same).
        var repr = BuildRepr(_sndMax, TcpFlags.Ack, now);
        _stack.TransmitTcp(this, repr, [], [], now);
        _segmentsSent++;
        AfterAckSent(repr);
    }

    private TcpRepr BuildRepr(TcpSeq seq, TcpFlags flags, Instant now) => new()
    {
        SourcePort = Tuple.LocalPort,
        DestinationPort = Tuple.RemotePort,
        SequenceNumber = seq,
        AcknowledgmentNumber = _rcvNxt,
        Flags = flags,
        Window = WindowField(),
        Timestamp = _tsEnabled ? new TcpTimestamp(TsNow(now), _tsRecent) : null,
        // RFC 2018 §4: every ACK carries SACK blocks while out-of-order data is held, most recent first.
        SackBlocks = _sackEnabled && !_assembler.IsEmpty
            ? _assembler.GetSackBlocks(_rcvNxt, _tsEnabled ? 3 : 4)
            : default,
    };

    private void AfterAckSent(in TcpRepr repr)
    {
        _lastAckSent = repr.AcknowledgmentNumber;
        _ackNow = false;
        _delayedAckAt = Instant.MaxValue;
    }

    /// <summary>
    /// Largest payload per segment: the peer's MSS and the path MTU (RFC 9293 §3.7.1 Eff.snd.MSS, RFC 1191 via the
    /// stack's path-MTU table), minus the options every segment carries. SACK blocks, when we send them, shorten
    /// the payload too so the datagram still fits.
    /// </summary>
    private int SegmentPayloadLimit(Instant now)
    {
        int pathMss = _stack.PathMtu(Tuple.RemoteAddress, now) - 40;
        int mss = Math.Min(_peerMss, pathMss);
        int options = _tsEnabled ? TimestampOptionBytes : 0;
        if (_sackEnabled && !_assembler.IsEmpty)
        {
            options += 4 + (8 * Math.Min(_assembler.RangeCount, _tsEnabled ? 3 : 4));
        }
        int limit = Math.Max(1, mss - options);
        if (mss != _sendMss)
        {
            _sendMss = mss;
            _cc.SetMss(Math.Max(1, mss - (_tsEnabled ? TimestampOptionBytes : 0)));
        }
        return limit;
    }

    /// <summary>
    /// The 16-bit window field (RFC 7323 §2.3: the window shifted right by our scale), with receiver-side SWS
    /// avoidance (RFC 9293 §3.8.6.2.2): the right edge only moves when it can move by min(buffer/2, MSS), and it
    /// never moves left.
    /// </summary>
    private ushort WindowField()
    {
        long free = _receiveBuffer.Free;
        long edge = Math.Max(0, _rcvAdvEdge - _rcvNxt);
        long wnd = free;
        long threshold = Math.Min(_receiveBuffer.Capacity / 2, ReceiveMss);
        bool keepEdge = wnd - edge < threshold;
        if (keepEdge || wnd < edge)
        {
            wnd = edge;
        }
        long unit = 1L << _rcvShift;
        long field = keepEdge ? (wnd + unit - 1) >> _rcvShift : wnd >> _rcvShift;
        field = Math.Min(field, ushort.MaxValue);
        var newEdge = _rcvNxt + (int)(field << _rcvShift);
        if (newEdge > _rcvAdvEdge)
        {
            _rcvAdvEdge = newEdge;
        }
        return (ushort)field;
    }

    /// <summary>
    /// After the reader freed space: worth an immediate window update if the window would at least double and grow
    /// by the SWS threshold (the idea of Linux's __tcp_cleanup_rbuf).
    /// </summary>
    private bool WindowUpdateWorthSending()
    {
        long edge = Math.Max(0, _rcvAdvEdge - _rcvNxt);
        long free = _receiveBuffer.Free;
        return free - edge >= Math.Min(_receiveBuffer.Capacity / 2, ReceiveMss) && free >= 2 * edge;
    }
}
