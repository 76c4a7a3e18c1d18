using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Tcp;

/// <remarks>
/// Loss recovery and the congestion controller. With SACK the socket runs RFC 6675 conservative recovery: on entry
/// cwnd is ssthresh (RFC 6675 §5 step 4.2), and the sending limit during recovery is <c>ssthresh - pipe</c>; the
/// controller's NewReno inflation (cwnd = ssthresh + 3·SMSS, +1 SMSS per duplicate ACK) is therefore not used and
/// <see cref="ICongestionControl.OnDuplicateAck"/> is not called: pipe already counts what left the network.
/// Without SACK it is RFC 6582 NewReno: the controller's inflated cwnd against FlightSize. In both cases partial ACKs
/// go to <see cref="ICongestionControl.OnAck"/> and the ACK reaching the recovery point to
/// <see cref="ICongestionControl.OnRecoveryExit"/>, as the controller's contract says.
/// </remarks>
public sealed partial class TcpSocket
{
    /// <summary>RFC 5681 §3.2 / RFC 6675 §2: DupThresh.</summary>
    private const int DupThresh = 3;

    private int _dupAcks;
    private bool _inRecovery;
    private TcpSeq _recoveryPoint;
    private TcpSeq _highRxt;
    private Instant _lastAckProgressAt;

    /// <summary>
    /// The fifth check of RFC 9293 §3.10.7.4 with RFC 5961 §5.2's acceptable range. Returns false when the segment is
    /// to be dropped.
    /// </summary>
    private bool ProcessAck(in TcpRepr seg, int payloadLength, Instant now)
    {
        var ack = seg.AcknowledgmentNumber;
        if (State == TcpState.SynReceived)
        {
            if (!(ack > _sndUna && ack <= _sndMax))
            {
                // RFC 9293 §3.10.7.4: an unacceptable ACK in SYN-RECEIVED gets <SEQ=SEG.ACK><CTL=RST>.
                _stack.SendTcpReset(Tuple, ack, default, false, now);
                return false;
            }
            AcknowledgeSyn(ack, seg, now);
            _sndWl1 = seg.SequenceNumber - 1; // force the window update below
            UpdateSendWindow(seg.SequenceNumber, ack, seg.Window << _sndShift, now);
            SetState(_finQueued ? TcpState.FinWait1 : TcpState.Established, now);
            return true;
        }

        // RFC 5961 §5.2: acceptable iff SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT (SND.NXT here is the highest
        // sent, _sndMax). Anything else gets a (rate-limited) challenge ACK and is dropped.
        if (ack > _sndMax || ack < _sndUna - (int)Math.Min(_maxSndWnd, int.MaxValue))
        {
            SendChallengeAck(now);
            return false;
        }

        // RFC 2018 §8 / RFC 6675: fold SACK information into the scoreboard before deciding what the ACK means.
        bool sackNews = _sackEnabled && !seg.SackBlocks.IsEmpty && UpdateScoreboard(seg.SackBlocks, ack);

        long window = (long)seg.Window << _sndShift;
        bool advanced = ack > _sndUna;
        // RFC 5681 §2 "duplicate acknowledgment" (RFC 6675 §2: or an ACK carrying new SACK information). A zero window
        // is excluded: those ACKs answer window probes, they say nothing about loss.
        bool duplicate = !advanced && ack == _sndUna && payloadLength == 0 && !seg.HasFlag(TcpFlags.Fin)
            && _sndMax > _sndUna && window != 0 && (window == _sndWnd || sackNews);
        if (advanced)
        {
            OnNewAck(ack, seg, now);
        }
        if (_sackEnabled)
        {
            RackOnAck(ack, seg.SackBlocks, now);
        }
        if (duplicate)
        {
            OnDuplicateAck(now);
        }
        if (_sackEnabled)
        {
            RackDetect(now);
        }
        UpdateSendWindow(seg.SequenceNumber, ack, window, now);

        switch (State)
        {
            case TcpState.FinWait1 when _finAcked:
                SetState(TcpState.FinWait2, now);
                ArmOrphanFinTimeout(now);
                break;
            case TcpState.Closing when _finAcked:
                SetState(TcpState.TimeWait, now);
                EnterTimeWait(now);
                return false;
            case TcpState.LastAck when _finAcked:
                Terminate(TcpError.None, now);
                return false;
        }
        return true;
    }

    /// <summary>RFC 9293 §3.10.7.4: update SND.WND only from a segment newer than the last one that set it.</summary>
    private void UpdateSendWindow(TcpSeq seq, TcpSeq ack, long window, Instant now)
    {
        if (_sndWl1 < seq || (_sndWl1 == seq && _sndWl2 <= ack))
        {
            bool opened = _sndWnd == 0 && window > 0;
            _sndWnd = window;
            _maxSndWnd = Math.Max(_maxSndWnd, window);
            _sndWl1 = seq;
            _sndWl2 = ack;
            if (opened)
            {
                // The zero window opened: stop probing (RFC 9293 §3.8.6.1).
                _persistAt = Instant.MaxValue;
                _persistBackoff = 0;
            }
            if (window > 0)
            {
                _persistSince = Instant.MaxValue;
            }
        }
    }

    private void OnNewAck(TcpSeq ack, in TcpRepr seg, Instant now)
    {
        int acked = ack - _sndUna;
        SampleRtt(ack, seg, now);

        // Acknowledged data leaves the send buffer; the FIN is one more sequence number after it.
        int dataAcked = Math.Clamp(ack - _bufferSeq, 0, _sendBuffer.Count);
        if (dataAcked > 0)
        {
            _sendBuffer.Discard(dataAcked);
            _bufferSeq += dataAcked;
            _bytesAcked += dataAcked;
            _stack.MarkTcpActivity(this); // writable
        }
        if (_finQueued && ack == FinSeq + 1)
        {
            _finAcked = true;
        }
        _sndUna = ack;
        if (_sndNxt < _sndUna)
        {
            _sndNxt = _sndUna; // after a go-back-N rewind, or a window probe that was accepted
        }
        RemoveScoreboardBelow(_sndUna);
        _lastAckProgressAt = now;
        _rtoRetries = 0;
        _softError = TcpError.None; // the path works again: an old unreachable report no longer explains a timeout

        long flight = _sndMax - _sndUna;
        if (_inRecovery)
        {
            if (ack >= _recoveryPoint)
            {
                // RFC 6582 §3.2 step 6 / RFC 6675 §5: the recovery point is acknowledged, recovery ends.
                _inRecovery = false;
                _dupAcks = 0;
                _cc.OnRecoveryExit(now, flight);
            }
            else
            {
                // Partial ACK (RFC 6582 §3.2 step 5): without SACK the next hole is the segment at SND.UNA, resend it
                // at once; with SACK the scoreboard's NextSeg finds it.
                _cc.OnAck(now, acked, flight, null, _rtt.SmoothedRtt);
                if (!_sackEnabled)
                {
                    RetransmitFirst(now, fast: true);
                }
            }
        }
        else
        {
            _dupAcks = 0;
            _cc.OnAck(now, acked, flight, _lastRttSample, _rtt.SmoothedRtt, IsCwndLimited);
            if (_recoveryPoint < _sndUna)
            {
                // Keep "recover" within 2^31 of SND.UNA, or modular comparison would flip after 2 GiB without loss
                // and disable fast retransmit. Moving it up to SND.UNA changes nothing in RFC 6582's test.
                _recoveryPoint = _sndUna;
            }
        }
        _lastRttSample = null;
        if (dataAcked > 0)
        {
            MaybeExpandSendBuffer();
        }

        // RFC 6298 §5.2/§5.3: stop the timer when everything is acknowledged, else restart it; the tail loss probe
        // follows (RFC 8985 §7.2), a new one allowed now that the flight moved.
        _rtoAt = _sndMax == _sndUna ? Instant.MaxValue : now + _rtt.Rto;
        _tlpOutstanding = false;
        ArmTailLossProbe(now);
    }

    private void OnDuplicateAck(Instant now)
    {
        _dupAcks++;
        _dupAcksTotal++;
        _stack.Counters.TcpDuplicateAcks++;
        if (_inRecovery)
        {
            if (!_sackEnabled)
            {
                _cc.OnDuplicateAck(now); // RFC 6582 §3.2 step 3: inflate; Output may send new data
            }
            return;
        }
        // RFC 6582 §3.2 step 2 / RFC 6675 §5: enter recovery on the third duplicate ACK (or when the scoreboard
        // already says SND.UNA is lost), unless these duplicates are still echoes of data sent before the previous
        // episode ended (SND.UNA below "recover"; we allow SND.UNA == recover, the ACK that ended that episode).
        bool lost = _dupAcks >= EarlyRetransmitThreshold() || (_sackEnabled && (IsLost(_sndUna) || RackLost(_sndUna, now, out _)));
        if (!lost || _sndUna < _recoveryPoint)
        {
            return;
        }
        EnterRecovery(now);
    }

    /// <summary>Starts fast recovery: one congestion response, and the first unacknowledged segment resent now.</summary>
    private void EnterRecovery(Instant now)
    {
        long flight = _sndMax - _sndUna;
        _inRecovery = true;
        _recoveryPoint = _sndMax;
        _highRxt = _sndUna;
        _tlpAt = Instant.MaxValue;
        _cc.OnCongestionEvent(now, CongestionEvent.FastRetransmit, flight);
        // RFC 5681 §3.2 step 2 / RFC 6675 §5 step 4.3: retransmit the first unacknowledged segment now, whatever
        // the window says.
        RetransmitFirst(now, fast: true);
    }

    private TimeSpan? _lastRttSample;

    /// <summary>
    /// RFC 5827 (early retransmit): with fewer than four segments outstanding and nothing new that could be sent, three
    /// duplicate ACKs can never arrive; oseg − 1 of them are enough then.
    /// </summary>
    private int EarlyRetransmitThreshold()
    {
        long outstanding = _sndMax - _sndUna;
        int segments = (int)Math.Min(DupThresh + 1, (outstanding + _sendMss - 1) / Math.Max(1, _sendMss));
        bool newDataSendable = _sendBuffer.Count - (_sndMax - _bufferSeq) > 0 && _sndWnd > outstanding;
        return segments <= DupThresh && !newDataSendable ? Math.Max(1, segments - 1) : DupThresh;
    }

    /// <summary>
    /// An RTT sample: from the echoed timestamp when timestamps are on (RFC 7323 §4.1, unambiguous even for
    /// retransmitted data), else from the single timed segment under Karn's rule (RFC 6298 §3).
    /// </summary>
    private void SampleRtt(TcpSeq ack, in TcpRepr seg, Instant now)
    {
        if (_tsEnabled && seg.Timestamp is TcpTimestamp ts && ts.TsEcr != 0)
        {
            if (_inRecovery || _rtoRetries > 0)
            {
                // An ACK of retransmitted data may echo the timestamp of the original: the receiver updates
                // TS.Recent only from in-window segments (RFC 7323 §4.3), so when our first copy arrived and only its
                // ACK was lost, the echo is as old as that copy and the "RTT" includes the whole loss episode. Such
                // samples inflated SRTT to seconds under heavy loss; like Karn's rule, wait for data sent once.
                return;
            }
            uint ms = unchecked(TsNow(now) - ts.TsEcr);
            if (ms < 60_000)
            {
                var sample = TimeSpan.FromMilliseconds(ms);
                // RFC 7323 Appendix G: with a sample per ACK, shrink the gains by the ACKs expected per RTT.
                int expected = (int)Math.Max(1, (_sndMax - _sndUna) / Math.Max(1, 2 * _sendMss));
                _rtt.AddSample(sample, expected);
                _lastRttSample = sample;
            }
            return;
        }
        if (_rtt.OnAck(ack, now))
        {
            _lastRttSample = _rtt.LatestRtt; // the raw sample: SRTT lags by design and would hide a growing queue
        }
    }
}
