using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Tcp;

/// <summary>
/// Tail loss probes (RFC 8985 §7): when the last segments of a flight are lost no duplicate ACKs come back, and
/// only the RTO (200 ms at least) would notice. A probe timer of about two round trips sends one segment (new data
/// if the windows allow, else the last one again) so the ACK it draws, with its SACK blocks, starts fast recovery.
/// Only with SACK, outside recovery, one probe per flight. RACK's time-based loss marking (RFC 8985 §6) is not
/// implemented: loss detection stays with RFC 6675's DupThresh rules.
/// </summary>
public sealed partial class TcpSocket
{
    /// <summary>RFC 8985 §7.2 WCDelAckT: the peer may delay the ACK of a lone segment this long.</summary>
    private static readonly TimeSpan WorstCaseDelayedAck = TimeSpan.FromMilliseconds(200);

    /// <summary>Floor of the probe timeout, so a near-zero SRTT (LAN, in-memory link) does not probe on every ACK.</summary>
    private static readonly TimeSpan MinProbeTimeout = TimeSpan.FromMilliseconds(10);

    private Instant _tlpAt = Instant.MaxValue;
    private bool _tlpOutstanding;
    private long _retransmitsTlp;

    /// <summary>RFC 8985 §7.2: arm (or re-arm) the probe timer after sending new data or receiving an ACK.</summary>
    private void ArmTailLossProbe(Instant now)
    {
        _tlpAt = Instant.MaxValue;
        if (!_sackEnabled || _inRecovery || _tlpOutstanding || _sndMax == _sndUna || !_rtt.HasSample
            || State is not (TcpState.Established or TcpState.CloseWait))
        {
            return;
        }
        var pto = _rtt.SmoothedRtt * 2;
        if (_sndMax - _sndUna <= _sendMss)
        {
            pto += WorstCaseDelayedAck;
        }
        if (pto < MinProbeTimeout)
        {
            pto = MinProbeTimeout;
        }
        var at = now + pto;
        if (at < _rtoAt)
        {
            _tlpAt = at; // a probe later than the RTO would be pointless
        }
    }

    /// <summary>RFC 8985 §7.3: the probe timer fired.</summary>
    private void SendTailLossProbe(Instant now)
    {
        _tlpAt = Instant.MaxValue;
        if (_inRecovery || _sndMax == _sndUna)
        {
            return;
        }
        int mss = SegmentPayloadLimit(now);
        int offset = _sndNxt - _bufferSeq;
        int available = Math.Max(0, _sendBuffer.Count - offset);
        long windowRoom = (_sndUna + (int)Math.Min(_sndWnd, int.MaxValue)) - _sndNxt;
        _tlpOutstanding = true;
        _retransmitsTlp++;
        _stack.Counters.TcpRetransmitsTlp++;
        if (available > 0 && windowRoom > 0 && _sndNxt == _sndMax)
        {
            // New data makes a probe that costs nothing if nothing was lost.
            int length = (int)Math.Min(Math.Min(available, mss), windowRoom);
            TransmitRange(_sndNxt, length, now, RetransmitKind.None);
            _sndNxt += length;
            _sndMax = _sndNxt;
        }
        else
        {
            // Otherwise the last segment again (data only; a FIN at the end is left to the RTO).
            var end = TcpSeq.Min(_sndMax, _bufferSeq + _sendBuffer.Count);
            int length = Math.Min(mss, end - _sndUna);
            if (length <= 0)
            {
                return;
            }
            TransmitRange(end - length, length, now, RetransmitKind.None);
            _rtt.OnRetransmit(); // Karn: this data has now been sent twice
        }
        _rtoAt = now + _rtt.Rto; // RFC 8985 §7.3: restart the RTO after the probe
    }
}
