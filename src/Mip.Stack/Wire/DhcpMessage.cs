using System.Buffers.Binary;

namespace Mip.Stack.Wire;

/// <summary>
/// A zero-copy view over a DHCP message (the UDP payload): the fixed BOOTP header of RFC 2131 §2 (figure 1), the
/// magic cookie of RFC 2131 §3 / RFC 2132 §2, and the options that follow it.
/// </summary>
internal readonly ref struct DhcpMessage
{
    public const int OpOffset = 0;
    public const int HardwareTypeOffset = 1;
    public const int HardwareLengthOffset = 2;
    public const int HopsOffset = 3;
    public const int TransactionIdOffset = 4;
    public const int SecondsOffset = 8;
    public const int FlagsOffset = 10;
    public const int ClientAddressOffset = 12;
    public const int YourAddressOffset = 16;
    public const int ServerAddressOffset = 20;
    public const int RelayAgentAddressOffset = 24;
    public const int ClientHardwareAddressOffset = 28;
    public const int ClientHardwareAddressFieldLength = 16;
    public const int ServerNameOffset = 44;
    public const int ServerNameLength = 64;
    public const int BootFileOffset = 108;
    public const int BootFileLength = 128;
    public const int MagicCookieOffset = 236;
    public const int OptionsOffset = 240;

    /// <summary>The fixed header plus the cookie: the smallest message that can carry DHCP options.</summary>
    public const int MinLength = OptionsOffset;

    /// <summary>99.130.83.99, RFC 2131 §3 and RFC 2132 §2.</summary>
    public const uint MagicCookie = 0x6382_5363;

    /// <summary>The leftmost bit of 'flags' (RFC 2131 §2, figure 2).</summary>
    public const ushort BroadcastFlag = 0x8000;

    /// <summary>'htype' for 10 Mb Ethernet (RFC 1700 "Hardware Type"), the only link we speak.</summary>
    public const byte HardwareTypeEthernet = 1;

    private readonly ReadOnlySpan<byte> _b;

    private DhcpMessage(ReadOnlySpan<byte> b) => _b = b;

    /// <summary>
    /// Checks that <paramref name="payload"/> is long enough for the header and the cookie, carries the DHCP magic
    /// cookie and describes an Ethernet client (htype 1, hlen 6). Never throws.
    /// </summary>
    public static bool TryCreate(ReadOnlySpan<byte> payload, out DhcpMessage message)
    {
        message = default;
        if (payload.Length < MinLength
            || BinaryPrimitives.ReadUInt32BigEndian(payload[MagicCookieOffset..]) != MagicCookie
            || payload[HardwareTypeOffset] != HardwareTypeEthernet
            || payload[HardwareLengthOffset] != MacAddress.Length)
        {
            return false;
        }
        message = new DhcpMessage(payload);
        return true;
    }

    public DhcpOpcode Op => (DhcpOpcode)_b[OpOffset];
    public byte HardwareType => _b[HardwareTypeOffset];
    public byte HardwareLength => _b[HardwareLengthOffset];
    public byte Hops => _b[HopsOffset];
    public uint TransactionId => BinaryPrimitives.ReadUInt32BigEndian(_b[TransactionIdOffset..]);
    public ushort Seconds => BinaryPrimitives.ReadUInt16BigEndian(_b[SecondsOffset..]);
    public ushort Flags => BinaryPrimitives.ReadUInt16BigEndian(_b[FlagsOffset..]);
    public bool BroadcastFlagSet => (Flags & BroadcastFlag) != 0;
    public Ipv4Address ClientAddress => Ipv4Address.Read(_b[ClientAddressOffset..]);
    public Ipv4Address YourAddress => Ipv4Address.Read(_b[YourAddressOffset..]);
    public Ipv4Address ServerAddress => Ipv4Address.Read(_b[ServerAddressOffset..]);
    public Ipv4Address RelayAgentAddress => Ipv4Address.Read(_b[RelayAgentAddressOffset..]);

    /// <summary>The first 'hlen' (6) octets of 'chaddr'.</summary>
    public MacAddress ClientHardwareAddress => MacAddress.Read(_b[ClientHardwareAddressOffset..]);

    public ReadOnlySpan<byte> ServerNameField => _b.Slice(ServerNameOffset, ServerNameLength);
    public ReadOnlySpan<byte> BootFileField => _b.Slice(BootFileOffset, BootFileLength);

    /// <summary>Everything after the magic cookie.</summary>
    public ReadOnlySpan<byte> OptionsField => _b[OptionsOffset..];

    /// <summary>Iterates the options, following option 52 into 'file' and 'sname' (RFC 2131 §4.1, RFC 2132 §9.3).</summary>
    public DhcpOptionReader GetOptions() => new(OptionsField, BootFileField, ServerNameField);
}
