using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Tcp;

/// <summary>
/// RACK time-based loss detection (RFC 8985 §6), with SACK: a segment is lost once a segment sent after it has been
/// delivered and more than one RTT plus a reordering window has passed since it was sent. This catches what
/// DupThresh cannot: losses at the tail of a flight (after a tail loss probe), in small windows, and lost
/// retransmissions. Transmit times are kept per segment in a sequence-ordered ring, preallocated and grown only when
/// the flight outgrows it (never per segment in steady state).
/// </summary>
public sealed partial class TcpSocket
{
    private const int InitialRecords = 256;
    private const int MaxRecords = 1 << 16;

    private TcpSeq[] _recEnd = new TcpSeq[InitialRecords];
    private Instant[] _recAt = new Instant[InitialRecords];
    private bool[] _recRetransmitted = new bool[InitialRecords];
    private int _recHead;
    private int _recCount;
    private bool _recOverflow;

    private bool _rackValid;
    private Instant _rackXmit;
    private TcpSeq _rackEnd;
    private TimeSpan _rackRtt;
    private TimeSpan _minRtt = TimeSpan.MaxValue;
    private Instant _rackTimerAt = Instant.MaxValue;

    /// <summary>Floor of the reordering window: our timestamps tick in milliseconds, so finer differences are noise.</summary>
    private static readonly TimeSpan MinReorderWindow = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// RFC 8985 §6.2 step 4: the reordering window, a quarter of the minimum RTT, at most SRTT, and at least the
    /// 1 ms clock granularity (so a LAN or in-memory RTT near zero does not turn every reordering into a loss).
    /// </summary>
    private TimeSpan ReorderWindow
    {
        get
        {
            var w = _minRtt == TimeSpan.MaxValue ? TimeSpan.Zero : _minRtt / 4;
            if (_rtt.HasSample && w > _rtt.SmoothedRtt)
            {
                w = _rtt.SmoothedRtt;
            }
            return w < MinReorderWindow ? MinReorderWindow : w;
        }
    }

    /// <summary>Remembers when [seq, seq+length) was sent (RFC 8985 §6.1: per-segment transmission time).</summary>
    private void RackRecordTransmit(TcpSeq seq, int length, Instant now, bool isNew)
    {
        if (!_sackEnabled || length <= 0)
        {
            return;
        }
        if (isNew)
        {
            if (_recOverflow || (_recCount == _recEnd.Length && !GrowRecords()))
            {
                _recOverflow = true;
                return;
            }
            int slot = (_recHead + _recCount) & (_recEnd.Length - 1);
            _recEnd[slot] = seq + length;
            _recAt[slot] = now;
            _recRetransmitted[slot] = false;
            _recCount++;
            return;
        }
        for (int i = FirstRecordEndingAfter(seq); i < _recCount; i++)
        {
            int slot = (_recHead + i) & (_recEnd.Length - 1);
            if (RecordStart(i) >= seq + length)
            {
                break;
            }
            _recAt[slot] = now;
            _recRetransmitted[slot] = true;
        }
    }

    /// <summary>
    /// RFC 8985 §6.2 steps 1-3 for one ACK: the most recently sent segment among those newly delivered (cumulatively
    /// or by SACK) becomes the RACK segment; delivered records leave the ring. A retransmitted segment is skipped when
    /// its ACK came sooner than the minimum RTT (it must be for the original, step 2).
    /// </summary>
    private void RackOnAck(TcpSeq ack, TcpSackBlocks blocks, Instant now)
    {
        int mask = _recEnd.Length - 1;
        while (_recCount > 0 && _recEnd[_recHead] <= ack)
        {
            RackConsider(_recHead, now);
            _recHead = (_recHead + 1) & mask;
            _recCount--;
        }
        if (_recCount == 0)
        {
            _recOverflow = false; // tracking restarts cleanly with the next new segment
        }
        for (int b = 0; b < blocks.Count; b++)
        {
            var right = blocks[b].Right;
            if (right <= ack || right > _sndMax)
            {
                continue;
            }
            // The last record inside the block is the latest one sent in it (records are in sequence order).
            int i = FirstRecordEndingAfter(right) - 1;
            if (i >= 0 && i < _recCount && RecordStart(i) >= blocks[b].Left)
            {
                RackConsider((_recHead + i) & mask, now);
            }
        }
    }

    private void RackConsider(int slot, Instant now)
    {
        var at = _recAt[slot];
        if (_recRetransmitted[slot] && (_minRtt == TimeSpan.MaxValue || now - at < _minRtt))
        {
            return; // RFC 8985 §6.2 step 2: acknowledged sooner than any RTT, so it was the original that arrived
        }
        if (!_rackValid || at > _rackXmit || (at == _rackXmit && _recEnd[slot] > _rackEnd))
        {
            _rackValid = true;
            _rackXmit = at;
            _rackEnd = _recEnd[slot];
            _rackRtt = now - at;
            if (_rackRtt < _minRtt)
            {
                _minRtt = _rackRtt;
            }
        }
    }

    /// <summary>
    /// RFC 8985 §6.2 step 5 for the segment holding <paramref name="seq"/>: lost if it was sent before the RACK
    /// segment and RACK.rtt + reo_wnd has passed since. When it is not lost yet, <paramref name="lostAt"/> says when
    /// it will be (for the reordering timer), else <see cref="Instant.MaxValue"/>.
    /// </summary>
    private bool RackLost(TcpSeq seq, Instant now, out Instant lostAt)
    {
        lostAt = Instant.MaxValue;
        if (!_rackValid)
        {
            return false;
        }
        int i = FirstRecordEndingAfter(seq);
        if (i >= _recCount)
        {
            return false;
        }
        int slot = (_recHead + i) & (_recEnd.Length - 1);
        var at = _recAt[slot];
        if (!(at < _rackXmit || (at == _rackXmit && _recEnd[slot] <= _rackEnd)))
        {
            return false;
        }
        var deadline = at + _rackRtt + ReorderWindow;
        if (deadline <= now)
        {
            return true;
        }
        lostAt = deadline;
        return false;
    }

    /// <summary>After an ACK: enter recovery if RACK says SND.UNA is lost, else arm the reordering timer (§6.3).</summary>
    private void RackDetect(Instant now)
    {
        _rackTimerAt = Instant.MaxValue;
        if (!_sackEnabled || _sndMax == _sndUna)
        {
            return;
        }
        if (RackLost(_sndUna, now, out var lostAt))
        {
            if (!_inRecovery && _sndUna >= _recoveryPoint)
            {
                EnterRecovery(now);
            }
            return;
        }
        _rackTimerAt = lostAt;
    }

    /// <summary>Where record <paramref name="index"/> starts: the previous record's end (SND.UNA for the first).</summary>
    private TcpSeq RecordStart(int index) =>
        index == 0 ? _sndUna : _recEnd[(_recHead + index - 1) & (_recEnd.Length - 1)];

    /// <summary>Index (from the head) of the first record whose end is after <paramref name="seq"/>; binary search.</summary>
    private int FirstRecordEndingAfter(TcpSeq seq)
    {
        int lo = 0;
        int hi = _recCount;
        int mask = _recEnd.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_recEnd[(_recHead + mid) & mask] <= seq)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /// <summary>Doubles the ring (a larger flight than ever before); false at the cap.</summary>
    private bool GrowRecords()
    {
        if (_recEnd.Length >= MaxRecords)
        {
            return false;
        }
        int n = _recEnd.Length * 2;
        var ends = new TcpSeq[n];
        var ats = new Instant[n];
        var retx = new bool[n];
        for (int i = 0; i < _recCount; i++)
        {
            int slot = (_recHead + i) & (_recEnd.Length - 1);
            ends[i] = _recEnd[slot];
            ats[i] = _recAt[slot];
            retx[i] = _recRetransmitted[slot];
        }
        _recEnd = ends;
        _recAt = ats;
        _recRetransmitted = retx;
        _recHead = 0;
        return true;
    }
}
