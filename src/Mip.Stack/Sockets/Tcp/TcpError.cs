namespace Mip.Stack.Sockets.Tcp;

/// <summary>Why a connection ended abnormally (<see cref="None"/> while it is fine or after a graceful close).</summary>
public enum TcpError : byte
{
    None = 0,
    /// <summary>The peer answered our SYN with a RST (RFC 9293 §3.10.7.3).</summary>
    ConnectionRefused = 1,
    /// <summary>The peer reset an established connection (RFC 9293 §3.10.7.4).</summary>
    ConnectionReset = 2,
    /// <summary>Connect timeout, user timeout, retransmission limit or keepalive failure.</summary>
    TimedOut = 3,
    HostUnreachable = 4,
    NetworkUnreachable = 5,
    /// <summary>Aborted locally (<see cref="TcpSocket.Abort"/>, close with unread data or zero linger).</summary>
    Aborted = 6,
    /// <summary>
    /// The interface lost the local address the connection was bound to (DHCP lease lost or a new address): the
    /// connection was dropped without a RST, since nothing can be sent from an address we no longer own.
    /// </summary>
    AddressLost = 7,
}
