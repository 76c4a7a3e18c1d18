using Mip.Stack.Phy;
using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Sockets.Dns;
using Mip.Stack.Wire;

namespace Mip.Stack.Iface;

/// <summary>
/// One network interface with its IPv4 host stack (Ethernet II, ARP, IPv4, ICMP, UDP). Polled, like smoltcp's
/// interface: the owner calls <see cref="Poll"/> whenever frames may be pending or <see cref="NextPollAt"/> is due.
/// Not thread-safe: every member must be called from the thread that owns the stack.
/// </summary>
public sealed partial class NetStack : IDhcpHost, IDnsTransport
{
    /// <summary>Frames taken from the device per <see cref="Poll"/>, so timers and egress still run under a flood.</summary>
    internal const int MaxFramesPerPoll = 256;
    internal const int EventQueueCapacity = 1024;

    private readonly INetworkDevice _device;
    private readonly StackOptions _options;
    private readonly Random _random;
    private readonly FrameHandler _onFrame;
    private readonly EventQueue _events = new(EventQueueCapacity);
    private readonly List<IStackComponent> _components = [];
    private readonly Ipv4Reassembler _reassembler;
    private readonly PathMtuCache _pathMtu = new(PathMtuCacheEntries, PathMtuLifetime);
    private readonly TokenBucket _icmpErrorLimiter;
    private Instant _now;
    private Ipv4Config? _ipv4;
    private bool _announcePending;

    public NetStack(INetworkDevice device, StackOptions options, Random random, Instant now)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        if (device.Mtu < Ipv4Packet.MinHeaderLength + 8 + 48 || device.Mtu > Ipv4Packet.MaxLength)
        {
            // RFC 791 §3.2: every internet module must be able to forward a 68-byte datagram without fragmenting.
            throw new ArgumentOutOfRangeException(nameof(device), device.Mtu, "Device MTU must be between 68 and 65535.");
        }
        if (!options.Mac.IsUnicast || options.Mac == MacAddress.Zero)
        {
            throw new ArgumentException("The interface MAC must be a non-zero unicast address.", nameof(options));
        }
        if (options.DefaultTtl == 0)
        {
            // RFC 1122 §3.2.1.7: a host must not send a datagram with TTL zero.
            throw new ArgumentOutOfRangeException(nameof(options), "DefaultTtl must be at least 1.");
        }
        _device = device;
        _options = options;
        _random = random;
        _onFrame = OnFrame;
        _now = now;
        _frame = new byte[EthernetFrame.HeaderLength + device.Mtu];
        _arp = new ArpCache(ArpCacheCapacity);
        _reassembler = new Ipv4Reassembler(options.ReassemblyMemoryLimitBytes, options.ReassemblyTimeout);
        _icmpErrorLimiter = new TokenBucket(IcmpErrorBurst, IcmpErrorInterval, now);
        // RFC 6864 §4.1: identification only needs to be unique per source/destination/protocol within the
        // reassembly lifetime; a random start keeps it from revealing how many datagrams this host sent.
        _nextIdentification = (ushort)random.Next(0, 65536);
        IsLinkUp = device.IsLinkUp;
        if (options.StaticIpv4 is { } config)
        {
            SetConfig(config, now);
        }
        _dnsServers = MergeDnsServers();

        Dns = new DnsResolver(this, options.Dns, random);
        AddComponent(Dns);
        if (options.DhcpServer is { } dhcpServer)
        {
            StartDhcpServer(dhcpServer);
        }
        if (options.StaticIpv4 is null && options.DhcpEnabled)
        {
            Dhcp = new DhcpClient(this, options.Dhcp ?? new DhcpClientOptions { HostName = options.DhcpHostname }, random);
            RegisterUdpHandler(DhcpClientPort, (payload, _, _, at) => Dhcp.OnDatagram(payload, at));
            ArpObserved = Dhcp.OnArpObserved;
            AddComponent(Dhcp);
            Dhcp.Start(now);
        }
    }

    /// <summary>The stub resolver; resolve names with <see cref="DnsResolver.BeginResolve"/>.</summary>
    public DnsResolver Dns { get; }

    /// <summary>The DHCP client, or null with a static configuration.</summary>
    public DhcpClient? Dhcp { get; }

    public MacAddress Mac => _options.Mac;

    /// <summary>The current IPv4 configuration; null while unconfigured (DHCP not bound yet).</summary>
    public Ipv4Config? Ipv4 => _ipv4;

    public bool IsLinkUp { get; private set; }

    public StackCounters Counters { get; } = new();

    internal StackOptions Options => _options;

    /// <summary>
    /// Checks the link, takes up to 256 pending frames from the device, runs due timers, sends what is due and
    /// flushes the device.
    /// </summary>
    public void Poll(Instant now)
    {
        _now = now;
        PollLink(now);
        _device.Receive(_onFrame, MaxFramesPerPoll);
        PollTimers(now);
        foreach (var component in _components)
        {
            component.Poll(now);
        }
        PollTcp(now);
        if (_announcePending && IsLinkUp && _ipv4 is { } config)
        {
            _announcePending = false;
            SendArpAnnouncement(config.Address);
        }
        // A batching device (pcap's sendmmsg) sends everything this poll produced in one go.
        _device.Flush();
    }

    /// <summary>
    /// The earliest instant at which a timer needs <see cref="Poll"/> (<see cref="Instant.MaxValue"/> if none). Frames
    /// arriving earlier need a poll too: the host waits on the device as well.
    /// </summary>
    public Instant NextPollAt(Instant now)
    {
        if (_announcePending && IsLinkUp && _ipv4 is not null)
        {
            return now;
        }
        var next = Instant.Min(ArpNextDeadline(), _reassembler.NextDeadline);
        next = Instant.Min(next, _pathMtu.NextDeadline);
        next = Instant.Min(next, TcpNextDeadline(now));
        foreach (var component in _components)
        {
            next = Instant.Min(next, component.NextDeadline);
        }
        return next;
    }

    /// <summary>Takes the oldest pending event. The queue holds 1024; when full the oldest are dropped and counted.</summary>
    public bool TryDequeueEvent(out StackEvent ev) => _events.TryDequeue(out ev);

    internal void Publish(StackEvent ev)
    {
        if (!_events.Enqueue(ev))
        {
            Counters.EventsDropped++;
        }
    }

    /// <summary>Plugs a component (DHCP client, DNS resolver) into the poll loop.</summary>
    internal void AddComponent(IStackComponent component) => _components.Add(component);

    private void PollLink(Instant now)
    {
        bool up = _device.IsLinkUp;
        if (up == IsLinkUp)
        {
            return;
        }
        IsLinkUp = up;
        Publish(new LinkChanged(now, up));
        if (up && _ipv4 is not null)
        {
            // RFC 5227 §2.3: announce the address again when the link comes back, so neighbours update their caches.
            _announcePending = true;
        }
    }

    private void PollTimers(Instant now)
    {
        PollArp(now);
        int expired = _reassembler.Expire(now, _onReassemblyTimeout ??= OnReassemblyTimeout);
        if (expired > 0)
        {
            Counters.Drop(DropReason.ReassemblyTimeout, expired);
        }
        _pathMtu.Expire(now);
    }

    private void OnFrame(ReadOnlySpan<byte> frame)
    {
        Counters.FramesReceived++;
        Counters.BytesReceived += frame.Length;
        try
        {
            ProcessFrame(frame);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Safety net only: parsers return false on bad input. A bug must cost one frame, never the stack.
            Counters.Drop(DropReason.Malformed);
        }
    }

    private void ProcessFrame(ReadOnlySpan<byte> bytes)
    {
        if (!EthernetFrame.TryCreate(bytes, out var frame))
        {
            Counters.Drop(DropReason.Truncated);
            return;
        }
        if (bytes.Length > EthernetFrame.HeaderLength + _device.Mtu)
        {
            // A real NIC cannot receive beyond its MTU; oversized frames here come from offloads (GSO/LRO) or bugs.
            Counters.Drop(DropReason.FrameTooLarge);
            return;
        }
        var destination = frame.Destination;
        bool linkBroadcast = destination.IsBroadcast;
        if (destination != _options.Mac && !linkBroadcast)
        {
            // No multicast groups are joined (no IGMP), so group-addressed frames are not for us either.
            Counters.Drop(DropReason.NotForUs);
            return;
        }
        switch (frame.EtherType)
        {
            case EtherType.Arp:
                ProcessArp(frame.Payload, _now);
                break;
            case EtherType.Ipv4:
                ProcessIpv4(frame.Payload, linkBroadcast, _now);
                break;
            default:
                Counters.Drop(DropReason.UnknownEtherType);
                break;
        }
    }

    private static DropReason ToDropReason(WireError error) => error switch
    {
        WireError.Truncated => DropReason.Truncated,
        WireError.BadVersion => DropReason.BadVersion,
        WireError.BadHeaderLength => DropReason.BadHeaderLength,
        WireError.BadLength => DropReason.BadLength,
        WireError.BadChecksum => DropReason.BadChecksum,
        WireError.Unsupported => DropReason.UnsupportedArp,
        _ => DropReason.Truncated,
    };
}
