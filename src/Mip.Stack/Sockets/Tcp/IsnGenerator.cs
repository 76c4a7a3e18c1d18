using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Tcp;

/// <summary>
/// Initial sequence numbers per RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), where
/// M is a timer ticking every 4 µs (RFC 9293 §3.4.1) and F is SipHash-2-4 under a 128-bit key drawn once from the
/// injected <see cref="Random"/>. Different connections get unrelated ISNs (no off-path guessing, RFC 6528 §1);
/// successive incarnations of one 4-tuple still advance with the clock, as RFC 9293 §3.4.1 requires.
/// </summary>
internal sealed class IsnGenerator
{
    private readonly ulong _k0;
    private readonly ulong _k1;

    public IsnGenerator(Random random)
    {
        Span<byte> key = stackalloc byte[16];
        random.NextBytes(key);
        _k0 = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(key);
        _k1 = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(key[8..]);
    }

    /// <summary>The ISN for a connection from <paramref name="local"/> to <paramref name="remote"/> at <paramref name="now"/>.</summary>
    public TcpSeq Next(Ipv4Endpoint local, Ipv4Endpoint remote, Instant now) =>
        new(unchecked(Clock(now) + TupleHash(_k0, _k1, local, remote)));

    /// <summary>M: the 4 µs clock, wrapping every 4.77 hours (RFC 9293 §3.4.1).</summary>
    internal static uint Clock(Instant now) => unchecked((uint)(now.Microseconds >> 2));

    /// <summary>
    /// F: SipHash-2-4 of the 4-tuple (plus two words of context, zero for ISNs; SYN cookies bind their time slot and
    /// the client's ISN with them), truncated to 32 bits.
    /// </summary>
    internal static uint TupleHash(ulong k0, ulong k1, Ipv4Endpoint local, Ipv4Endpoint remote, uint extra = 0,
        uint extra2 = 0)
    {
        Span<byte> tuple = stackalloc byte[20];
        local.Address.Write(tuple);
        remote.Address.Write(tuple[4..]);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(tuple[8..], local.Port);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(tuple[10..], remote.Port);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(tuple[12..], extra);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(tuple[16..], extra2);
        return unchecked((uint)SipHash.Hash(k0, k1, tuple));
    }
}
