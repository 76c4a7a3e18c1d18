namespace Mip.Stack.Wire;

/// <summary>Resource record CLASS values (RFC 1035 §3.2.4). Only the Internet class is used.</summary>
internal enum DnsClass : ushort
{
    Internet = 1,
}
