namespace Mip.Stack.Wire;

/// <summary>Resource record TYPE and question QTYPE values (RFC 1035 §3.2.2, §3.2.3; AAAA from RFC 3596 §2.1).</summary>
internal enum DnsRecordType : ushort
{
    A = 1,
    Ns = 2,
    Cname = 5,
    Soa = 6,
    Ptr = 12,
    Mx = 15,
    Txt = 16,
    Aaaa = 28,
    Srv = 33,
    Opt = 41,
    Any = 255,
}
