using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Tcp;

/// <summary>
/// The sender's SACK scoreboard (RFC 6675 §3): the peer's SACKed ranges above SND.UNA, sorted and disjoint, in
/// preallocated arrays. Holes between them are what IsLost, pipe and NextSeg (RFC 6675 §4) reason about. Every
/// octet of a hole has the same SACKed data above it, so the RFC's per-octet rules are evaluated once per hole.
/// </summary>
public sealed partial class TcpSocket
{
    /// <summary>Initial size of the range table; it doubles up to <see cref="MaxOutOfOrderRanges"/> under heavy loss.</summary>
    private const int InitialScoreboardRanges = 32;

    // A full table must not drop ranges: a SACKed range left out looks like a hole, RACK then marks it lost and the
    // sender resends data the peer already has (with 32 ranges, a burst loss of hundreds of segments resent twice as
    // many as were lost).
    private TcpSeq[] _sbLeft = new TcpSeq[InitialScoreboardRanges];
    private TcpSeq[] _sbRight = new TcpSeq[InitialScoreboardRanges];
    private int _sbCount;

    /// <summary>Adds the blocks of one ACK; returns true if any octet became newly SACKed.</summary>
    private bool UpdateScoreboard(TcpSackBlocks blocks, TcpSeq ack)
    {
        bool news = false;
        for (int b = 0; b < blocks.Count; b++)
        {
            var left = blocks[b].Left;
            var right = blocks[b].Right;
            // RFC 2883: a block at or below the cumulative ACK is a D-SACK report; blocks beyond what we sent, or
            // inverted, are bogus (RFC 6675 §3 leaves validation to the implementation).
            if (right <= ack || right > _sndMax || left >= right || left < _sndUna - (int)Math.Min(_maxSndWnd, int.MaxValue))
            {
                continue;
            }
            left = TcpSeq.Max(left, ack);
            news |= InsertRange(left, right);
        }
        return news;
    }

    private bool InsertRange(TcpSeq left, TcpSeq right)
    {
        int i = 0;
        while (i < _sbCount && _sbRight[i] < left)
        {
            i++;
        }
        int j = i;
        var l = left;
        var r = right;
        long covered = 0;
        while (j < _sbCount && _sbLeft[j] <= right)
        {
            covered += TcpSeq.Min(_sbRight[j], right) - TcpSeq.Max(_sbLeft[j], left);
            l = TcpSeq.Min(l, _sbLeft[j]);
            r = TcpSeq.Max(r, _sbRight[j]);
            j++;
        }
        bool news = covered < right - left;
        if (j > i)
        {
            _sbLeft[i] = l;
            _sbRight[i] = r;
            int remove = j - i - 1;
            if (remove > 0)
            {
                Array.Copy(_sbLeft, j, _sbLeft, i + 1, _sbCount - j);
                Array.Copy(_sbRight, j, _sbRight, i + 1, _sbCount - j);
                _sbCount -= remove;
            }
            return news;
        }
        if (_sbCount == _sbLeft.Length)
        {
            if (_sbLeft.Length >= MaxOutOfOrderRanges)
            {
                return false; // only more conservative: the range counts as not yet delivered
            }
            Array.Resize(ref _sbLeft, _sbLeft.Length * 2);
            Array.Resize(ref _sbRight, _sbRight.Length * 2);
        }
        Array.Copy(_sbLeft, i, _sbLeft, i + 1, _sbCount - i);
        Array.Copy(_sbRight, i, _sbRight, i + 1, _sbCount - i);
        _sbLeft[i] = left;
        _sbRight[i] = right;
        _sbCount++;
        return true;
    }

    private void RemoveScoreboardBelow(TcpSeq una)
    {
        int drop = 0;
        while (drop < _sbCount && _sbRight[drop] <= una)
        {
            drop++;
        }
        if (drop > 0)
        {
            Array.Copy(_sbLeft, drop, _sbLeft, 0, _sbCount - drop);
            Array.Copy(_sbRight, drop, _sbRight, 0, _sbCount - drop);
            _sbCount -= drop;
        }
        if (_sbCount > 0 && _sbLeft[0] < una)
        {
            _sbLeft[0] = una;
        }
    }

    /// <summary>
    /// RFC 6675 §4 IsLost(seq): DupThresh discontiguous SACKed ranges above it, or more than (DupThresh − 1)·SMSS
    /// SACKed bytes above it.
    /// </summary>
    private bool IsLost(TcpSeq seq)
    {
        long bytes = 0;
        int ranges = 0;
        for (int i = _sbCount - 1; i >= 0 && _sbRight[i] > seq; i--)
        {
            bytes += _sbRight[i] - TcpSeq.Max(_sbLeft[i], seq);
            ranges++;
        }
        return ranges >= DupThresh || bytes > (long)(DupThresh - 1) * _sendMss;
    }

    /// <summary>
    /// RFC 6675 §4 SetPipe and NextSeg rule 1, per hole: octets retransmitted in this recovery (below HighRxt) count
    /// once, the rest counts unless lost (RFC 6675 IsLost, or RACK). We count a retransmitted octet once, not twice as
    /// RFC 6675 does when it was not deemed lost: we only retransmit what was deemed lost, so the original is presumed
    /// gone (as in RFC 8985 and Linux's in-flight accounting). The first lost octet at or above HighRxt is NextSeg.
    /// </summary>
    private long Pipe(Instant now, out TcpSeq nextLost, out int nextLostLength)
    {
        long pipe = 0;
        long sackedAbove = 0;
        nextLost = default;
        nextLostLength = 0;
        // Walk holes from the top: hole i lies below range i (hole _sbCount is above the last range, up to SND.MAX).
        for (int i = _sbCount; i >= 0; i--)
        {
            var start = i == 0 ? _sndUna : _sbRight[i - 1];
            var end = i == _sbCount ? _sndMax : _sbLeft[i];
            int rangesAbove = _sbCount - i;
            if (i < _sbCount)
            {
                sackedAbove += _sbRight[i] - _sbLeft[i];
            }
            if (end <= start)
            {
                continue;
            }
            // The part already retransmitted in this recovery ([start, split)) is in flight once more; the rest is lost
            // by RFC 6675's IsLost rule or by RACK (RFC 8985 §6.2) for its first segment, else still in flight.
            var split = TcpSeq.Max(start, TcpSeq.Min(end, _highRxt));
            bool lost = rangesAbove >= DupThresh || sackedAbove > (long)(DupThresh - 1) * _sendMss
                || (split < end && RackLost(split, now, out _));
            pipe += (split - start) + (lost ? 0 : end - split);
            if (lost && split < end)
            {
                nextLost = split;
                nextLostLength = end - split;
            }
        }
        return pipe;
    }

    private void ClearScoreboard() => _sbCount = 0;
}
