using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Tcp;

public sealed partial class TcpSocket
{
    /// <summary>SYN-ACK retransmissions before a half-open connection is dropped (Linux's tcp_synack_retries).</summary>
    internal const int MaxSynAckRetries = 5;

    /// <summary>MSS we announce: what the interface can receive in one datagram (RFC 9293 §3.7.1, RFC 6691 §2).</summary>
    private int ReceiveMss => Math.Clamp(_stack.DeviceMtu - 40, 88, ushort.MaxValue);

    /// <summary>Active open (RFC 9293 §3.10.1): send SYN, enter SYN-SENT, start the connect deadline.</summary>
    internal void StartConnect(Instant now)
    {
        _connectDeadline = now + _options.ConnectTimeout;
        SetState(TcpState.SynSent, now);
        SendSyn(now);
        _sndNxt = _iss + 1;
        _sndMax = _sndNxt;
        _rtoAt = now + _rtt.Rto;
    }

    /// <summary>
    /// Passive open from a listener's SYN (RFC 9293 §3.10.7.2): record the peer's ISN and options, enter SYN-RECEIVED
    /// and answer SYN-ACK. Options count only if both sides offer them (RFC 7323 §2.2, §3.2; RFC 2018 §2).
    /// </summary>
    internal void StartPassive(in TcpRepr syn, Instant now)
    {
        _irs = syn.SequenceNumber;
        _rcvNxt = _irs + 1;
        _rcvAdvEdge = _rcvNxt;
        _lastAckSent = _rcvNxt;
        NegotiateOptions(syn, now);
        // RFC 9293 §3.10.7.2: SND.WND from the SYN (never scaled, RFC 7323 §2.2), WL1/WL2 so the first ACK updates it.
        _sndWnd = syn.Window;
        _maxSndWnd = _sndWnd;
        _sndWl1 = syn.SequenceNumber;
        _sndWl2 = _iss;
        SetState(TcpState.SynReceived, now);
        SendSynAck(now);
        _sndNxt = _iss + 1;
        _sndMax = _sndNxt;
        _rtoAt = now + _rtt.Rto;
    }

    /// <summary>
    /// The ACK of a SYN cookie handshake arrived (RFC 4987 §3.6): the connection starts ESTABLISHED with the MSS the
    /// cookie carried and the options the cookie SYN-ACK's timestamp carried (<see cref="SynCookies"/>): the peer's
    /// window scale (null: none, and then we do not scale either, RFC 7323 §2.2), SACK-permitted, and timestamps if the
    /// ACK echoes ours. Without timestamps none of them survive.
    /// </summary>
    internal void StartFromCookie(in TcpRepr ack, int mss, byte? peerWindowScale, bool sackPermitted, Instant now)
    {
        _irs = ack.SequenceNumber - 1;
        _rcvNxt = ack.SequenceNumber;
        _rcvAdvEdge = _rcvNxt + Math.Min(_receiveBuffer.Free, ushort.MaxValue);
        _lastAckSent = _rcvNxt;
        bool timestamps = _options.Timestamps && ack.Timestamp is not null;
        if (timestamps && _options.WindowScaling && peerWindowScale is byte shift)
        {
            _sndShift = shift; // _rcvShift keeps the value the SYN-ACK offered (computed the same way from the options)
        }
        else
        {
            _sndShift = 0;
            _rcvShift = 0;
        }
        _sackEnabled = timestamps && _options.Sack && sackPermitted;
        if (timestamps)
        {
            _tsEnabled = true;
            _tsRecent = ack.Timestamp!.Value.TsVal;
            _tsRecentAt = now;
        }
        _peerMss = mss;
        _sendMss = Math.Min(_peerMss, ReceiveMss);
        _cc.SetMss(Math.Max(1, _sendMss - (_tsEnabled ? TimestampOptionBytes : 0)));
        _sndUna = ack.AcknowledgmentNumber;
        _sndNxt = _sndUna;
        _sndMax = _sndUna;
        _bufferSeq = _sndUna;
        _sndWnd = (long)ack.Window << _sndShift; // not a SYN: its window is scaled (RFC 7323 §2.2)
        _maxSndWnd = _sndWnd;
        _sndWl1 = ack.SequenceNumber;
        _sndWl2 = ack.AcknowledgmentNumber;
        State = TcpState.SynReceived;
        SetState(TcpState.Established, now);
    }

    private void NegotiateOptions(in TcpRepr syn, Instant now)
    {
        // RFC 9293 §3.7.1: absent MSS option means 536. RFC 7323 §2.2: scaling is on only if both SYNs carry it.
        _peerMss = syn.MaxSegmentSize is ushort m && m > 0 ? m : DefaultPeerMss;
        if (_options.WindowScaling && syn.WindowScale is byte shift)
        {
            _sndShift = shift;
        }
        else
        {
            _sndShift = 0;
            _rcvShift = 0;
        }
        _sackEnabled = _options.Sack && syn.SackPermitted;
        if (_options.Timestamps && syn.Timestamp is TcpTimestamp ts)
        {
            _tsEnabled = true;
            _tsRecent = ts.TsVal;
            _tsRecentAt = now;
        }
        _sendMss = Math.Max(1, Math.Min(_peerMss, ReceiveMss));
        _cc = NewCongestionControl(_sendMss - (_tsEnabled ? TimestampOptionBytes : 0));
    }

    private void SendSyn(Instant now)
    {
        var repr = new TcpRepr
        {
            SourcePort = Tuple.LocalPort,
            DestinationPort = Tuple.RemotePort,
            SequenceNumber = _iss,
            Flags = TcpFlags.Syn,
            // RFC 7323 §2.2: the window in a SYN is never scaled.
            Window = (ushort)Math.Min(_receiveBuffer.Free, ushort.MaxValue),
            MaxSegmentSize = (ushort)ReceiveMss,
            WindowScale = _options.WindowScaling ? _rcvShift : null,
            SackPermitted = _options.Sack,
            Timestamp = _options.Timestamps ? new TcpTimestamp(TsNow(now), 0) : null,
        };
        EmitControl(repr, now);
        if (!_rtt.IsTiming && _synRetries == 0)
        {
            _rtt.StartTiming(_iss + 1, now);
        }
    }

    private void SendSynAck(Instant now)
    {
        var repr = new TcpRepr
        {
            SourcePort = Tuple.LocalPort,
            DestinationPort = Tuple.RemotePort,
            SequenceNumber = _iss,
            AcknowledgmentNumber = _rcvNxt,
            Flags = TcpFlags.Syn | TcpFlags.Ack,
            Window = (ushort)Math.Min(_receiveBuffer.Free, ushort.MaxValue),
            MaxSegmentSize = (ushort)ReceiveMss,
            // Echo only what the peer offered (RFC 7323 §1.3, RFC 2018 §2).
            WindowScale = _sndShift > 0 || _rcvShift > 0 ? _rcvShift : null,
            SackPermitted = _sackEnabled,
            Timestamp = _tsEnabled ? new TcpTimestamp(TsNow(now), _tsRecent) : null,
        };
        EmitControl(repr, now);
        _rcvAdvEdge = TcpSeq.Max(_rcvAdvEdge, _rcvNxt + repr.Window);
        if (!_rtt.IsTiming && _synRetries == 0)
        {
            _rtt.StartTiming(_iss + 1, now);
        }
    }

    /// <summary>Sends a segment without payload built by the caller, and books it.</summary>
    private void EmitControl(in TcpRepr repr, Instant now)
    {
        _stack.TransmitTcp(this, repr, [], [], now);
        _segmentsSent++;
        if (repr.HasFlag(TcpFlags.Ack))
        {
            _lastAckSent = repr.AcknowledgmentNumber;
            _ackNow = false;
            _delayedAckAt = Instant.MaxValue;
        }
    }

    /// <summary>
    /// The SYN-SENT rules of RFC 9293 §3.10.7.3: check the ACK, then RST, then SYN; a SYN without ACK is a
    /// simultaneous open (→ SYN-RECEIVED).
    /// </summary>
    private void ProcessSynSent(in TcpRepr seg, Instant now)
    {
        bool hasAck = seg.HasFlag(TcpFlags.Ack);
        if (hasAck && (seg.AcknowledgmentNumber <= _iss || seg.AcknowledgmentNumber > _sndNxt))
        {
            // First check: an unacceptable ACK gets <SEQ=SEG.ACK><CTL=RST> unless it is a RST itself.
            if (!seg.HasFlag(TcpFlags.Rst))
            {
                _stack.SendTcpReset(Tuple, seg.AcknowledgmentNumber, default, false, now);
            }
            return;
        }
        if (seg.HasFlag(TcpFlags.Rst))
        {
            // Second check: only a RST acknowledging our SYN counts (RFC 5961 §3.2 adds nothing for SYN-SENT).
            if (hasAck)
            {
                _stack.Counters.TcpResetsReceived++;
                Terminate(TcpError.ConnectionRefused, now);
            }
            return;
        }
        if (!seg.HasFlag(TcpFlags.Syn))
        {
            return; // fifth check: neither SYN nor RST, drop
        }
        _irs = seg.SequenceNumber;
        _rcvNxt = _irs + 1;
        _rcvAdvEdge = _rcvNxt;
        _lastAckSent = _rcvNxt;
        NegotiateOptions(seg, now);
        if (hasAck)
        {
            AcknowledgeSyn(seg.AcknowledgmentNumber, seg, now);
            // RFC 9293 §3.10.7.3: SND.WND, WL1 and WL2 from the SYN-ACK (its window is not scaled, RFC 7323 §2.2).
            _sndWnd = seg.Window;
            _maxSndWnd = _sndWnd;
            _sndWl1 = seg.SequenceNumber;
            _sndWl2 = seg.AcknowledgmentNumber;
            // A Shutdown while connecting queued the FIN behind the data (RFC 9293 §3.10.2, §3.10.4).
            SetState(_finQueued ? TcpState.FinWait1 : TcpState.Established, now);
            _ackNow = true;
            return;
        }
        // Simultaneous open (RFC 9293 §3.10.7.3, figure 7): answer <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
        _sndWnd = seg.Window;
        _maxSndWnd = _sndWnd;
        _sndWl1 = seg.SequenceNumber;
        _sndWl2 = _iss;
        SetState(TcpState.SynReceived, now);
        _connectDeadline = Instant.MaxValue;
        SendSynAck(now);
    }

    /// <summary>Our SYN was acknowledged: the RTT sample of the handshake and the first SND.UNA.</summary>
    private void AcknowledgeSyn(TcpSeq ack, in TcpRepr seg, Instant now)
    {
        _sndUna = ack;
        if (_sndNxt < _sndUna)
        {
            _sndNxt = _sndUna;
        }
        _sndMax = TcpSeq.Max(_sndMax, _sndNxt);
        _connectDeadline = Instant.MaxValue;
        SampleRtt(ack, seg, now);
        if (_synRetries > 0)
        {
            // RFC 6298 §5.7: a lost SYN leaves the RTO at 3 s for data unless a sample replaced it.
            _rtt.OnSynRetransmitted();
        }
        _synRetries = 0;
        _rtoAt = Instant.MaxValue;
        _lastAckProgressAt = now;
    }
}
