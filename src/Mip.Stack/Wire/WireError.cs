namespace Mip.Stack.Wire;

/// <summary>Why a view refused a buffer. Parsers report these instead of throwing on untrusted bytes.</summary>
public enum WireError : byte
{
    None = 0,
    /// <summary>The buffer is shorter than the header or than a length field says.</summary>
    Truncated = 1,
    /// <summary>A version field holds a value this parser does not handle.</summary>
    BadVersion = 2,
    /// <summary>A header length field is below the minimum or beyond the packet.</summary>
    BadHeaderLength = 3,
    /// <summary>A length field is impossible (smaller than the header it covers).</summary>
    BadLength = 4,
    /// <summary>The checksum does not verify.</summary>
    BadChecksum = 5,
    /// <summary>Well-formed but a variant this stack does not speak (e.g. ARP over non-Ethernet hardware).</summary>
    Unsupported = 6,
}
