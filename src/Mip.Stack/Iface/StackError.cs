namespace Mip.Stack.Iface;

/// <summary>Why a stack operation could not be done.</summary>
public enum StackError : byte
{
    None = 0,
    /// <summary>The UDP port is already bound.</summary>
    AddressInUse = 1,
    /// <summary>Every ephemeral port is in use.</summary>
    NoEphemeralPorts = 2,
    /// <summary>The interface has no IPv4 address yet.</summary>
    NotConfigured = 3,
    /// <summary>No on-link route and no default gateway for the destination.</summary>
    NoRoute = 4,
    /// <summary>The link has no carrier.</summary>
    LinkDown = 5,
    /// <summary>The payload does not fit in one IPv4 datagram (or exceeds the path MTU with Don't Fragment).</summary>
    MessageTooLong = 6,
    /// <summary>Sending to a broadcast address needs <c>Broadcast = true</c> on the socket (like SO_BROADCAST).</summary>
    BroadcastNotPermitted = 7,
    /// <summary>The socket was closed.</summary>
    SocketClosed = 8,
    /// <summary>The destination's ARP pending queue is full.</summary>
    ArpQueueFull = 9,
    /// <summary>The device refused the frame.</summary>
    DeviceRefused = 10,
    /// <summary>An argument is out of range (e.g. port 0 as a destination).</summary>
    InvalidArgument = 11,
}
