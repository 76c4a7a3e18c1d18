using System.Buffers.Binary;
using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Tcp;

/// <summary>
/// Stateless SYN-ACKs for a full SYN backlog (RFC 4987 §3.6). The server's ISN carries what it must remember: a
/// coarse timestamp (8 bits of 64-second slots) and the index of the MSS it accepted (2 bits), authenticated by a
/// keyed hash of the 4-tuple, the slot and the client's ISN, so the returning ACK (SEG.ACK − 1 = cookie) proves the client saw our SYN-ACK. The
/// layout follows the idea of Linux's scheme (hash + client ISN + count in the top byte + hashed data in the low 24
/// bits); the code is our own.
/// </summary>
/// <remarks>
/// <para>
/// The ISN has room for an MSS approximation only: RFC 4987 §3.6 lists the loss of the SYN's other options as the
/// cost of SYN cookies. We win two of them back as Linux does (cookie_init_timestamp): when the SYN carried a
/// timestamp, the TSval of our SYN-ACK carries the peer's options in its low 6 bits, and the peer echoes it back in
/// the TSecr of its ACK (RFC 7323 §3.2). The layout:
/// </para>
/// <code>
///   TSval = (our timestamp clock with the low 6 bits cleared) | options
///   bits 0-3: the peer's window scale shift (0-14), or 15 when its SYN had no window scale option
///   bit 4:    the peer's SYN carried SACK-permitted
///   bit 5:    unused (zero; Linux puts ECN there)
/// </code>
/// <para>
/// If that value is above our clock it is moved back by 64 ms, so it is never ahead of the timestamps the connection
/// sends later (the peer's PAWS check, RFC 7323 §5, would drop them). The clock is the one the connection will use:
/// its offset is a keyed hash of the 4-tuple (<see cref="TimestampOffset"/>), not a per-socket random number, so the
/// socket created from the ACK continues it. The ACK's TSecr must lie within the cookie's lifetime behind that
/// clock. Without a timestamp in the SYN there is nowhere to keep the options: such a connection runs without window
/// scaling and SACK (timestamps too, since the peer did not offer them).
/// </para>
/// <para>
/// The options are not authenticated by the cookie's MAC, and need not be: they only describe the peer's own
/// capabilities, which a peer able to complete the handshake could have announced in its SYN anyway.
/// Forging an ACK needs the 24-bit check field to match one of 4 MACs: odds of 2^-22 per try.
/// </para>
/// </remarks>
internal sealed class SynCookies
{
    /// <summary>Length of one time slot. Cookies older than <see cref="MaxAgeSlots"/> slots are refused.</summary>
    public static readonly TimeSpan SlotLength = TimeSpan.FromSeconds(64);

    /// <summary>A cookie is accepted during its own slot and the two after it (64-192 s).</summary>
    public const int MaxAgeSlots = 2;

    private const uint DataMask = 0x00FF_FFFF;

    // The MSS values a cookie can express (the common ones: minimum IPv4, VPN-ish, PPPoE/tunnels, Ethernet).
    private static readonly ushort[] MssTableValues = [536, 1300, 1440, 1460];

    private readonly ulong _k0;
    private readonly ulong _k1;
    private readonly ulong _k2;
    private readonly ulong _k3;

    public SynCookies(Random random)
    {
        Span<byte> key = stackalloc byte[32];
        random.NextBytes(key);
        _k0 = BinaryPrimitives.ReadUInt64LittleEndian(key);
        _k1 = BinaryPrimitives.ReadUInt64LittleEndian(key[8..]);
        _k2 = BinaryPrimitives.ReadUInt64LittleEndian(key[16..]);
        _k3 = BinaryPrimitives.ReadUInt64LittleEndian(key[24..]);
    }

    /// <summary>The MSS values a cookie can carry, ascending.</summary>
    public static ReadOnlySpan<ushort> MssTable => MssTableValues;

    /// <summary>
    /// The ISN for our SYN-ACK to a SYN from <paramref name="remote"/> with sequence <paramref name="clientIsn"/> and MSS
    /// option <paramref name="clientMss"/> (536 if absent, RFC 9293 §3.7.1). <paramref name="mss"/> is the MSS the
    /// cookie commits to: the largest table value not above the client's.
    /// </summary>
    public TcpSeq Encode(Ipv4Endpoint local, Ipv4Endpoint remote, TcpSeq clientIsn, ushort clientMss, Instant now,
        out ushort mss)
    {
        int index = 0;
        for (int i = MssTableValues.Length - 1; i > 0; i--)
        {
            if (MssTableValues[i] <= clientMss)
            {
                index = i;
                break;
            }
        }
        mss = MssTableValues[index];
        uint slot = Slot(now);
        uint data = CheckHash(local, remote, slot, (uint)index, clientIsn.Value) & DataMask;
        return new TcpSeq(unchecked(BaseHash(local, remote) + clientIsn.Value + (slot << 24) + data));
    }

    /// <summary>
    /// Checks the ACK completing a cookie handshake: <paramref name="sequence"/> is its SEG.SEQ (client ISN + 1) and
    /// <paramref name="acknowledgment"/> its SEG.ACK (cookie + 1). On success <paramref name="mss"/> is the MSS the
    /// cookie committed to.
    /// </summary>
    public bool TryValidate(Ipv4Endpoint local, Ipv4Endpoint remote, TcpSeq sequence, TcpSeq acknowledgment,
        Instant now, out ushort mss)
    {
        mss = 0;
        uint cookie = unchecked(acknowledgment.Value - 1);
        uint clientIsn = unchecked(sequence.Value - 1);
        uint value = unchecked(cookie - BaseHash(local, remote) - clientIsn);
        uint slot = value >> 24;
        uint current = Slot(now) & 0xFF;
        if (((current - slot) & 0xFF) > MaxAgeSlots)
        {
            return false; // too old, or from the future
        }
        // The low 24 bits were hashed with the full slot number; recover it from the 8 bits we carried.
        uint fullSlot = Slot(now) - ((current - slot) & 0xFF);
        // The check field is a MAC over the index: try the four (cheap, and only under a SYN flood).
        for (int index = 0; index < MssTableValues.Length; index++)
        {
            if ((value & DataMask) == (CheckHash(local, remote, fullSlot, (uint)index, clientIsn) & DataMask))
            {
                mss = MssTableValues[index];
                return true;
            }
        }
        return false;
    }

    /// <summary>Option bits in the low end of a cookie SYN-ACK's TSval (see the remarks).</summary>
    private const uint TsOptionMask = 0x3F;
    private const uint TsWindowScaleMask = 0x0F;
    private const uint TsNoWindowScale = 0x0F;
    private const uint TsSackPermitted = 0x10;

    /// <summary>How far (ms) the echoed TSecr may lag our clock: the cookie's lifetime plus the 64 ms adjustment.</summary>
    private static readonly uint MaxTsEcrAgeMs = (uint)(SlotLength.TotalMilliseconds * (MaxAgeSlots + 1)) + TsOptionMask + 1;

    /// <summary>
    /// The TSval for a cookie SYN-ACK: <paramref name="tsNow"/> (the connection's timestamp clock) with the peer's
    /// window scale shift (null = none offered) and SACK-permitted in its low 6 bits, never above <paramref name="tsNow"/>.
    /// </summary>
    public static uint EncodeTimestamp(uint tsNow, byte? peerWindowScale, bool sackPermitted)
    {
        uint options = (peerWindowScale is byte ws ? Math.Min(ws, TcpRepr.MaxWindowScale) : TsNoWindowScale)
            | (sackPermitted ? TsSackPermitted : 0);
        uint tsVal = (tsNow & ~TsOptionMask) | options;
        if (unchecked((int)(tsVal - tsNow)) > 0)
        {
            tsVal = unchecked(tsVal - (TsOptionMask + 1));
        }
        return tsVal;
    }

    /// <summary>
    /// Reads the options back from the TSecr of the ACK completing a cookie handshake. False when the echo cannot be
    /// one of our cookie timestamps: ahead of <paramref name="tsNow"/>, older than a cookie lives, or with an invalid
    /// window scale.
    /// </summary>
    public static bool TryDecodeTimestamp(uint tsEcr, uint tsNow, out byte? peerWindowScale, out bool sackPermitted)
    {
        peerWindowScale = null;
        sackPermitted = false;
        uint age = unchecked(tsNow - tsEcr);
        if (age > MaxTsEcrAgeMs || (tsEcr & TsOptionMask & ~(TsWindowScaleMask | TsSackPermitted)) != 0)
        {
            return false;
        }
        uint ws = tsEcr & TsWindowScaleMask;
        if (ws != TsNoWindowScale)
        {
            if (ws > TcpRepr.MaxWindowScale)
            {
                return false;
            }
            peerWindowScale = (byte)ws;
        }
        sackPermitted = (tsEcr & TsSackPermitted) != 0;
        return true;
    }

    /// <summary>
    /// The timestamp clock offset of a cookie connection: a keyed hash of the 4-tuple, so the stateless SYN-ACK and the
    /// socket created later agree on it (RFC 7323 §5.4 asks for a per-connection offset; this one is, and hidden).
    /// The constant tag separates it from the cookie's base hash, which hashes the same tuple under the same key.
    /// </summary>
    public uint TimestampOffset(Ipv4Endpoint local, Ipv4Endpoint remote) =>
        IsnGenerator.TupleHash(_k0, _k1, local, remote, 0x5453_4F46); // "TSOF"

    private static uint Slot(Instant now) =>
        unchecked((uint)(now.Microseconds / (SlotLength.Ticks / TimeSpan.TicksPerMicrosecond)));

    private uint BaseHash(Ipv4Endpoint local, Ipv4Endpoint remote) =>
        IsnGenerator.TupleHash(_k0, _k1, local, remote);

    // A MAC over tuple, slot, MSS index and client ISN: an ACK with any of them changed (even SEG.ACK off by one,
    // which would land on a neighbouring index if the index were merely added) fails except with odds of 2^-24 each.
    // The slot is shifted left by two to make room for the index; slots are 64 s, so 2^30 of them is 2000 years.
    private uint CheckHash(Ipv4Endpoint local, Ipv4Endpoint remote, uint slot, uint index, uint clientIsn) =>
        IsnGenerator.TupleHash(_k2, _k3, local, remote, unchecked((slot << 2) | index), clientIsn);
}
