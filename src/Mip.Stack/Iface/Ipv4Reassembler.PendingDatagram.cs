namespace Mip.Stack.Iface;

internal sealed partial class Ipv4Reassembler
{
    private enum MergeResult : byte
    {
        Fresh,
        Overlapped,
        Conflict,
    }

    /// <summary>One datagram being reassembled. Slots are recycled, so steady state allocates nothing.</summary>
    private sealed class PendingDatagram
    {
        // One bit per 8-byte block (RFC 791 §3.1 offset unit) of the largest possible payload.
        private const int BlockShift = 3;
        private readonly ulong[] _blocks = new ulong[((MaxPayloadBytes >> BlockShift) + 64) / 64];

        /// <summary>Room for the largest IPv4 header (IHL 15), kept from fragment zero for an ICMP quote.</summary>
        private readonly byte[] _firstHeader = new byte[60];

        public FragmentKey Key { get; private set; }

        /// <summary>Length of the header kept from fragment zero; 0 until fragment zero (with a header) arrived.</summary>
        public int FirstHeaderLength { get; private set; }

        /// <summary>Fragment zero's IP header, empty until it arrived.</summary>
        public ReadOnlySpan<byte> FirstHeader => _firstHeader.AsSpan(0, FirstHeaderLength);

        /// <summary>Whether the first 8 bytes of the payload (the part an ICMP error quotes) are held.</summary>
        public bool HoldsFirstBlock => IsHeld(0);

        /// <summary>Keeps fragment zero's header (a retransmitted fragment zero replaces it; the quote is the same datagram).</summary>
        public void KeepFirstHeader(ReadOnlySpan<byte> header)
        {
            if (header.Length <= _firstHeader.Length)
            {
                header.CopyTo(_firstHeader);
                FirstHeaderLength = header.Length;
            }
        }
        public Instant Deadline { get; private set; }

        /// <summary>Pooled buffer holding the payload at its final offsets; null until the first fragment is stored.</summary>
        public byte[]? Buffer { get; set; }

        /// <summary>Total payload length, known once the last fragment (MF clear) arrived; -1 before.</summary>
        public int TotalLength { get; set; }

        /// <summary>End of the furthest data held.</summary>
        public int HighestEnd { get; private set; }

        /// <summary>Distinct payload bytes held; the datagram is complete when this equals <see cref="TotalLength"/>.</summary>
        public int ReceivedBytes { get; private set; }

        public void Reset(in FragmentKey key, Instant deadline)
        {
            Key = key;
            Deadline = deadline;
            Buffer = null;
            TotalLength = -1;
            HighestEnd = 0;
            ReceivedBytes = 0;
            FirstHeaderLength = 0;
            Array.Clear(_blocks);
        }

        /// <summary>
        /// Copies the fragment into the buffer block run by block run: runs not yet held are copied, runs already
        /// held must be byte-identical. The buffer must already reach <c>offset + payload.Length</c>.
        /// </summary>
        public MergeResult Merge(int offset, ReadOnlySpan<byte> payload)
        {
            var buffer = Buffer!;
            int end = offset + payload.Length;
            int lastBlock = (end - 1) >> BlockShift;
            var result = MergeResult.Fresh;

            for (int block = offset >> BlockShift; block <= lastBlock;)
            {
                bool held = IsHeld(block);
                int runEnd = block + 1;
                while (runEnd <= lastBlock && IsHeld(runEnd) == held)
                {
                    runEnd++;
                }

                int start = block << BlockShift;
                int stop = Math.Min(runEnd << BlockShift, end);
                var source = payload.Slice(start - offset, stop - start);
                var target = buffer.AsSpan(start, stop - start);
                if (held)
                {
                    if (!source.SequenceEqual(target))
                    {
                        return MergeResult.Conflict;
                    }
                    result = MergeResult.Overlapped;
                }
                else
                {
                    source.CopyTo(target);
                    ReceivedBytes += stop - start;
                    for (int b = block; b < runEnd; b++)
                    {
                        _blocks[b >> 6] |= 1UL << (b & 63);
                    }
                }
                block = runEnd;
            }

            HighestEnd = Math.Max(HighestEnd, end);
            return result;
        }

        private bool IsHeld(int block) => (_blocks[block >> 6] & (1UL << (block & 63))) != 0;
    }
}
