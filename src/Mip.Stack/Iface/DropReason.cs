namespace Mip.Stack.Iface;

/// <summary>Why the stack dropped a frame or a datagram. Values index <see cref="StackCounters.Drops"/>.</summary>
public enum DropReason : byte
{
    /// <summary>Shorter than a header or than a length field says.</summary>
    Truncated = 0,
    /// <summary>IPv4 header, ICMP or UDP checksum did not verify.</summary>
    BadChecksum = 1,
    /// <summary>IPv4 IHL below 5 or beyond the total length.</summary>
    BadHeaderLength = 2,
    /// <summary>IP version other than 4 in an IPv4 frame.</summary>
    BadVersion = 3,
    /// <summary>An EtherType this stack does not handle (IPv6, VLAN-tagged, ...).</summary>
    UnknownEtherType = 4,
    /// <summary>Addressed to another host (MAC or IP), or an Ethernet multicast no one joined.</summary>
    NotForUs = 5,
    /// <summary>An IP protocol this stack does not handle.</summary>
    UnknownProtocol = 6,
    /// <summary>Outgoing datagram with no on-link route and no default gateway.</summary>
    NoRoute = 7,
    /// <summary>Outgoing datagram dropped because its destination already had a full ARP pending queue.</summary>
    ArpQueueFull = 8,
    /// <summary>Outgoing datagram dropped because ARP resolution of its next hop gave up.</summary>
    ArpUnresolved = 9,
    /// <summary>UDP datagram to a port with no socket.</summary>
    UdpPortUnreachable = 10,
    /// <summary>UDP datagram dropped because the socket's receive queue was full.</summary>
    UdpQueueFull = 11,
    /// <summary>A partly reassembled datagram timed out (RFC 1122 §3.3.2).</summary>
    ReassemblyTimeout = 12,
    /// <summary>A fragment dropped because reassembly memory was exhausted.</summary>
    ReassemblyMemory = 13,
    /// <summary>A frame larger than MTU + 14 (received or about to be sent).</summary>
    FrameTooLarge = 14,
    /// <summary>Outgoing frame while the link has no carrier.</summary>
    LinkDown = 15,
    /// <summary>Outgoing datagram while the interface has no IPv4 address.</summary>
    NotConfigured = 16,
    /// <summary>The device refused to transmit a frame.</summary>
    DeviceRefused = 17,
    /// <summary>Processing the frame threw: the per-frame safety net caught a bug. Never the normal path (parsers return false).</summary>
    Malformed = 18,
    /// <summary>A length field smaller than the header it covers (UDP length below 8).</summary>
    BadLength = 19,
    /// <summary>ARP for a hardware or protocol type other than Ethernet/IPv4, or an unknown opcode.</summary>
    UnsupportedArp = 20,
    /// <summary>ICMP type or code this stack does not handle.</summary>
    UnsupportedIcmp = 21,
    /// <summary>IPv4 source that is broadcast or multicast (RFC 1122 §3.2.1.3 says discard), or an ARP sender MAC that is not unicast.</summary>
    InvalidSource = 22,
    /// <summary>Echo request to a broadcast address, deliberately not answered (RFC 1122 §3.2.2.6; avoids smurf amplification).</summary>
    BroadcastEchoIgnored = 23,
    /// <summary>Outgoing datagram larger than the path MTU with Don't Fragment set.</summary>
    PacketTooBig = 24,
    /// <summary>A fragment inconsistent with the others of its datagram (length, overlap, beyond 65535 bytes).</summary>
    BadFragment = 25,
    /// <summary>TCP segment to a port with no socket or listener (answered with RST, RFC 9293 §3.10.7.1).</summary>
    TcpNoSocket = 26,
    /// <summary>TCP segment outside the receive window, or otherwise unacceptable (RFC 9293 §3.10.7.4).</summary>
    TcpNotAcceptable = 27,
    /// <summary>TCP segment with an old timestamp (PAWS, RFC 7323 §5).</summary>
    TcpPaws = 28,
    /// <summary>Out-of-order TCP data that did not fit the reassembly table or the receive buffer.</summary>
    TcpReceiveOverflow = 29,
    /// <summary>SYN or handshake-completing ACK dropped because the listener's queues were full.</summary>
    TcpListenOverflow = 30,
    /// <summary>TCP header malformed (bad data offset, option lengths, port zero).</summary>
    TcpMalformed = 31,
}
