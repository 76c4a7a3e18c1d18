using Mip.Stack.Sockets;
using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

public sealed partial class NetStack
{
    /// <summary>RFC 6056 §2.1 / IANA dynamic range used for ephemeral ports.</summary>
    internal const ushort EphemeralPortMin = 49152;
    internal const ushort EphemeralPortMax = 65535;

    private readonly Dictionary<ushort, UdpSocket> _udpSockets = [];
    private readonly Dictionary<ushort, UdpDatagramHandler> _udpHandlers = [];

    /// <summary>
    /// Opens a UDP socket bound to <paramref name="localPort"/> on the interface's address, or to a random
    /// ephemeral port when 0 (RFC 6056 algorithm 1). Throws <see cref="StackException"/> with
    /// <see cref="StackError.AddressInUse"/> when the port is taken.
    /// </summary>
    public UdpSocket OpenUdp(ushort localPort = 0)
    {
        ushort port = localPort == 0 ? AllocateEphemeralPort() : localPort;
        if (IsUdpPortInUse(port))
        {
            throw new StackException(StackError.AddressInUse, $"UDP port {port} is already in use.");
        }
        var socket = new UdpSocket(this, port, _options.UdpReceiveQueueDatagrams);
        _udpSockets.Add(port, socket);
        return socket;
    }

    /// <summary>Binds an internal consumer (DHCP client on 68, DNS resolver) to a UDP port; throws AddressInUse if taken.</summary>
    internal void RegisterUdpHandler(ushort port, UdpDatagramHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (port == 0 || IsUdpPortInUse(port))
        {
            throw new StackException(StackError.AddressInUse, $"UDP port {port} is already in use.");
        }
        _udpHandlers.Add(port, handler);
    }

    internal void UnregisterUdpHandler(ushort port) => _udpHandlers.Remove(port);

    /// <summary>
    /// RFC 6056 §3.3.1 algorithm 1 (simple port randomisation): try random ports from the ephemeral range with the
    /// injected <see cref="Random"/>, as many times as the range is large.
    /// </summary>
    internal ushort AllocateEphemeralPort()
    {
        const int count = EphemeralPortMax - EphemeralPortMin + 1;
        for (int i = 0; i < count; i++)
        {
            ushort port = (ushort)(EphemeralPortMin + _random.Next(count));
            if (!IsUdpPortInUse(port))
            {
                return port;
            }
        }
        throw new StackException(StackError.NoEphemeralPorts, "No ephemeral UDP port is free.");
    }

    private bool IsUdpPortInUse(ushort port) =>
        _udpSockets.ContainsKey(port) || _udpHandlers.ContainsKey(port) || Dns.OwnsPort(port);

    internal void CloseUdp(UdpSocket socket) => _udpSockets.Remove(socket.LocalPort);

    /// <summary>
    /// Builds a UDP datagram (checksum always computed, RFC 1122 §4.1.3.4) and sends it from our address.
    /// Broadcast destinations need <paramref name="allowBroadcast"/>, like SO_BROADCAST.
    /// </summary>
    internal StackError SendUdp(ushort localPort, ReadOnlySpan<byte> payload, Ipv4Endpoint remote, bool allowBroadcast, Instant now)
    {
        if (payload.Length > UdpRepr.MaxPayloadLength)
        {
            return StackError.MessageTooLong;
        }
        if (remote.Port == 0)
        {
            return StackError.InvalidArgument;
        }
        if (_ipv4 is not { } config)
        {
            Counters.Drop(DropReason.NotConfigured);
            return StackError.NotConfigured;
        }
        if (IsBroadcastAddress(remote.Address) && !allowBroadcast)
        {
            return StackError.BroadcastNotPermitted;
        }
        return SendUdpFrom(config.Address, localPort, payload, remote, now);
    }

    private StackError SendUdpFrom(Ipv4Address source, ushort localPort, ReadOnlySpan<byte> payload, Ipv4Endpoint remote, Instant now)
    {
        var repr = new UdpRepr(localPort, remote.Port, payload.Length);
        payload.CopyTo(_transport.AsSpan(UdpRepr.HeaderLength));
        repr.Emit(_transport, source, remote.Address);
        var error = SendIpv4(source, remote.Address, IpProtocol.Udp, _transport.AsSpan(0, repr.BufferLength), false, now);
        if (error == StackError.None)
        {
            Counters.UdpDatagramsSent++;
        }
        return error;
    }

    private void ProcessUdp(in Ipv4Delivery delivery, ReadOnlySpan<byte> payload, Instant now)
    {
        var error = UdpPacket.Validate(payload);
        if (error != WireError.None)
        {
            Counters.Drop(ToDropReason(error));
            return;
        }
        UdpPacket.TryCreate(payload, out var udp);
        if (!udp.IsChecksumValid(delivery.Source, delivery.Destination))
        {
            Counters.Drop(DropReason.BadChecksum);
            return;
        }
        Counters.UdpDatagramsReceived++;
        var from = new Ipv4Endpoint(delivery.Source, udp.SourcePort);
        ushort port = udp.DestinationPort;
        if (_udpHandlers.TryGetValue(port, out var handler))
        {
            handler(udp.Payload, from, delivery.Destination, now);
            return;
        }
        if (_udpSockets.TryGetValue(port, out var socket))
        {
            if (!socket.Enqueue(udp.Payload, from))
            {
                Counters.Drop(DropReason.UdpQueueFull);
            }
            return;
        }
        if (Dns.OwnsPort(port))
        {
            // The resolver draws a fresh random source port per query (RFC 5452 §9.2) and checks the rest itself.
            Dns.OnDatagram(udp.Payload, from, port, now);
            return;
        }
        Counters.Drop(DropReason.UdpPortUnreachable);
        // RFC 1122 §4.1.3.1: a datagram to a port with no listener should get "port unreachable".
        SendIcmpError(delivery, payload, IcmpUnreachableCode.PortUnreachable, now);
    }
}
