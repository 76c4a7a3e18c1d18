namespace Mip.Stack.Storage;

/// <summary>What <see cref="Assembler.Add"/> did with a range.</summary>
internal enum AssemblerResult : byte
{
    /// <summary>Recorded (possibly merged, possibly nothing new); the front may have advanced.</summary>
    Accepted = 0,

    /// <summary>
    /// The range is disjoint from every tracked range and the range table is full: nothing was recorded. The caller
    /// drops the segment's data (the peer retransmits it) and counts the drop.
    /// </summary>
    TooManyRanges = 1,
}
