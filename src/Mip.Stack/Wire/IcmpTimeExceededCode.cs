namespace Mip.Stack.Wire;

/// <summary>Codes of ICMP Time Exceeded (RFC 792).</summary>
public enum IcmpTimeExceededCode : byte
{
    TtlExceededInTransit = 0,
    FragmentReassemblyTimeExceeded = 1,
}
