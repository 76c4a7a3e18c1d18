namespace Mip.Stack.Wire;

/// <summary>
/// The fields of a DHCP message this stack cares about: the BOOTP header (RFC 2131 §2) and the options of RFC 2132
/// a client sends or reads. An absent option is null (or empty). <see cref="TryParse"/> reads a
/// <see cref="DhcpMessage"/> view; <see cref="Emit"/> writes a whole message. Parsing allocates (a DNS list, a domain
/// string); DHCP runs a handful of times per lease, so that is off any hot path.
/// </summary>
internal readonly partial record struct DhcpRepr
{
    /// <summary>
    /// RFC 951 §3 sized the vendor area at 64 octets, so a BOOTP message is at least 300 octets; RFC 1542 §2.1
    /// keeps that minimum for clients because some relay agents and servers drop shorter messages. Emit pads to it.
    /// </summary>
    public const int MinimumEmitLength = 300;

    private readonly IReadOnlyList<Ipv4Address>? _dnsServers;

    public DhcpOpcode Op { get; init; }
    public DhcpMessageType MessageType { get; init; }
    public uint TransactionId { get; init; }
    public ushort Seconds { get; init; }

    /// <summary>The BROADCAST bit of 'flags' (RFC 2131 §4.1).</summary>
    public bool Broadcast { get; init; }

    public Ipv4Address ClientAddress { get; init; }
    public Ipv4Address YourAddress { get; init; }
    public Ipv4Address ServerAddress { get; init; }
    public Ipv4Address RelayAgentAddress { get; init; }
    public MacAddress ClientHardwareAddress { get; init; }

    /// <summary>Option 1.</summary>
    public Ipv4Address? SubnetMask { get; init; }

    /// <summary>Option 3: the first non-zero router of the list (RFC 2132 §3.5 lists them in order of preference).</summary>
    public Ipv4Address? Router { get; init; }

    /// <summary>Option 6 without 0.0.0.0 entries, which real servers use to pad their lists.</summary>
    public IReadOnlyList<Ipv4Address> DnsServers
    {
        get => _dnsServers ?? [];
        init => _dnsServers = value;
    }

    /// <summary>Option 15, printable ASCII only; trailing NULs that some servers append are dropped.</summary>
    public string? DomainName { get; init; }

    /// <summary>Option 26; values under 68 are ignored (RFC 2132 §5.1).</summary>
    public ushort? InterfaceMtu { get; init; }

    /// <summary>Option 51 in seconds; <see cref="uint.MaxValue"/> means infinity (RFC 2131 §3.3).</summary>
    public uint? LeaseTimeSeconds { get; init; }

    /// <summary>Option 58, T1 in seconds.</summary>
    public uint? RenewalTimeSeconds { get; init; }

    /// <summary>Option 59, T2 in seconds.</summary>
    public uint? RebindingTimeSeconds { get; init; }

    /// <summary>Option 54.</summary>
    public Ipv4Address? ServerIdentifier { get; init; }

    /// <summary>Option 50.</summary>
    public Ipv4Address? RequestedAddress { get; init; }

    /// <summary>When set, Emit writes option 61 as type 1 (Ethernet) + chaddr (RFC 2132 §9.14).</summary>
    public bool ClientIdentifierFromHardwareAddress { get; init; }

    /// <summary>Option 12.</summary>
    public string? HostName { get; init; }

    /// <summary>Option 55; empty means absent.</summary>
    public ReadOnlyMemory<byte> ParameterRequestList { get; init; }

    /// <summary>Option 57.</summary>
    public ushort? MaximumMessageSize { get; init; }

    /// <summary>Option 56, an error text a server may put in a NAK (RFC 2131 §3.1 step 4).</summary>
    public string? Message { get; init; }
}
