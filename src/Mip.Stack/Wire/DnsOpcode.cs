namespace Mip.Stack.Wire;

/// <summary>The 4-bit OPCODE of the header (RFC 1035 §4.1.1).</summary>
internal enum DnsOpcode : byte
{
    Query = 0,
    InverseQuery = 1,
    Status = 2,
}
