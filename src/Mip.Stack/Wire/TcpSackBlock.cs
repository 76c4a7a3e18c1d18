namespace Mip.Stack.Wire;

/// <summary>One SACK block (RFC 2018 §3): the received range [Left, Right) of sequence space.</summary>
public readonly record struct TcpSackBlock(TcpSeq Left, TcpSeq Right)
{
    /// <summary>The number of bytes the block covers (modular distance).</summary>
    public uint Length => Right.DistanceFrom(Left);
}
