namespace Mip.Stack.Wire;

/// <summary>ICMP message types this stack handles (RFC 792).</summary>
public enum IcmpType : byte
{
    EchoReply = 0,
    DestinationUnreachable = 3,
    EchoRequest = 8,
    TimeExceeded = 11,
}
