namespace Mip.Stack.Wire;

/// <summary>Option 53, DHCP message type (RFC 2132 §9.6). <see cref="None"/> marks a plain BOOTP message.</summary>
internal enum DhcpMessageType : byte
{
    None = 0,
    Discover = 1,
    Offer = 2,
    Request = 3,
    Decline = 4,
    Ack = 5,
    Nak = 6,
    Release = 7,
    Inform = 8,
}
