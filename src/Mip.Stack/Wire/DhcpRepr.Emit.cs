using System.Buffers.Binary;
using System.Text;

namespace Mip.Stack.Wire;

internal readonly partial record struct DhcpRepr
{
    /// <summary>The bytes <see cref="Emit"/> writes: header, cookie, options, End, then padding up to 300.</summary>
    public int BufferLength => Math.Max(MinimumEmitLength, DhcpMessage.OptionsOffset + OptionsLength + 1);

    private int OptionsLength
    {
        get
        {
            int n = 0;
            n += MessageType != DhcpMessageType.None ? 3 : 0;
            n += ClientIdentifierFromHardwareAddress ? 2 + 1 + MacAddress.Length : 0;
            n += RequestedAddress.HasValue ? 6 : 0;
            n += ServerIdentifier.HasValue ? 6 : 0;
            n += HostName is not null ? 2 + HostName.Length : 0;
            n += !ParameterRequestList.IsEmpty ? 2 + ParameterRequestList.Length : 0;
            n += MaximumMessageSize.HasValue ? 4 : 0;
            n += SubnetMask.HasValue ? 6 : 0;
            n += Router.HasValue ? 6 : 0;
            n += DnsServers.Count > 0 ? 2 + (4 * DnsServers.Count) : 0;
            n += DomainName is not null ? 2 + DomainName.Length : 0;
            n += InterfaceMtu.HasValue ? 4 : 0;
            n += LeaseTimeSeconds.HasValue ? 6 : 0;
            n += RenewalTimeSeconds.HasValue ? 6 : 0;
            n += RebindingTimeSeconds.HasValue ? 6 : 0;
            n += Message is not null ? 2 + Message.Length : 0;
            return n;
        }
    }

    /// <summary>
    /// Writes the message into <paramref name="buffer"/> (at least <see cref="BufferLength"/> bytes) and returns
    /// the length written. Options are written in the order a client sends them (53 first, RFC 2131 §4.1 leaves the
    /// order free; servers key on 53). Text options longer than 255 octets, or lists longer than 63 addresses, are
    /// caller errors and throw.
    /// </summary>
    public int Emit(Span<byte> buffer)
    {
        int length = BufferLength;
        if (buffer.Length < length)
        {
            throw new ArgumentException($"DHCP message needs {length} bytes, buffer has {buffer.Length}", nameof(buffer));
        }
        var b = buffer[..length];
        b.Clear();
        b[DhcpMessage.OpOffset] = (byte)Op;
        b[DhcpMessage.HardwareTypeOffset] = DhcpMessage.HardwareTypeEthernet;
        b[DhcpMessage.HardwareLengthOffset] = MacAddress.Length;
        BinaryPrimitives.WriteUInt32BigEndian(b[DhcpMessage.TransactionIdOffset..], TransactionId);
        BinaryPrimitives.WriteUInt16BigEndian(b[DhcpMessage.SecondsOffset..], Seconds);
        BinaryPrimitives.WriteUInt16BigEndian(b[DhcpMessage.FlagsOffset..], Broadcast ? DhcpMessage.BroadcastFlag : (ushort)0);
        ClientAddress.Write(b[DhcpMessage.ClientAddressOffset..]);
        YourAddress.Write(b[DhcpMessage.YourAddressOffset..]);
        ServerAddress.Write(b[DhcpMessage.ServerAddressOffset..]);
        RelayAgentAddress.Write(b[DhcpMessage.RelayAgentAddressOffset..]);
        ClientHardwareAddress.Write(b[DhcpMessage.ClientHardwareAddressOffset..]);
        BinaryPrimitives.WriteUInt32BigEndian(b[DhcpMessage.MagicCookieOffset..], DhcpMessage.MagicCookie);

        var w = new OptionWriter(b[DhcpMessage.OptionsOffset..]);
        if (MessageType != DhcpMessageType.None)
        {
            w.Byte(DhcpOptionCode.MessageType, (byte)MessageType);
        }
        if (ClientIdentifierFromHardwareAddress)
        {
            var id = w.Begin(DhcpOptionCode.ClientIdentifier, 1 + MacAddress.Length);
            id[0] = DhcpMessage.HardwareTypeEthernet;
            ClientHardwareAddress.Write(id[1..]);
        }
        w.Address(DhcpOptionCode.RequestedIpAddress, RequestedAddress);
        w.Address(DhcpOptionCode.ServerIdentifier, ServerIdentifier);
        w.Text(DhcpOptionCode.HostName, HostName);
        if (!ParameterRequestList.IsEmpty)
        {
            ParameterRequestList.Span.CopyTo(w.Begin(DhcpOptionCode.ParameterRequestList, ParameterRequestList.Length));
        }
        if (MaximumMessageSize is ushort max)
        {
            BinaryPrimitives.WriteUInt16BigEndian(w.Begin(DhcpOptionCode.MaximumMessageSize, 2), max);
        }
        w.Address(DhcpOptionCode.SubnetMask, SubnetMask);
        w.Address(DhcpOptionCode.Router, Router);
        if (DnsServers.Count > 0)
        {
            var list = w.Begin(DhcpOptionCode.DomainNameServer, 4 * DnsServers.Count);
            for (int i = 0; i < DnsServers.Count; i++)
            {
                DnsServers[i].Write(list[(4 * i)..]);
            }
        }
        w.Text(DhcpOptionCode.DomainName, DomainName);
        if (InterfaceMtu is ushort mtu)
        {
            BinaryPrimitives.WriteUInt16BigEndian(w.Begin(DhcpOptionCode.InterfaceMtu, 2), mtu);
        }
        w.UInt32(DhcpOptionCode.IpAddressLeaseTime, LeaseTimeSeconds);
        w.UInt32(DhcpOptionCode.RenewalTime, RenewalTimeSeconds);
        w.UInt32(DhcpOptionCode.RebindingTime, RebindingTimeSeconds);
        w.Text(DhcpOptionCode.Message, Message);
        w.End();
        return length;
    }

    /// <summary>Appends options to the options field; the field was sized by <see cref="OptionsLength"/>.</summary>
    private ref struct OptionWriter(Span<byte> field)
    {
        private readonly Span<byte> _field = field;
        private int _position;

        public Span<byte> Begin(DhcpOptionCode code, int length)
        {
            if (length > byte.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(length), length, $"option {code} longer than 255 octets");
            }
            _field[_position] = (byte)code;
            _field[_position + 1] = (byte)length;
            var data = _field.Slice(_position + 2, length);
            _position += 2 + length;
            return data;
        }

        public void Byte(DhcpOptionCode code, byte value) => Begin(code, 1)[0] = value;

        public void Address(DhcpOptionCode code, Ipv4Address? value)
        {
            if (value is Ipv4Address a)
            {
                a.Write(Begin(code, 4));
            }
        }

        public void UInt32(DhcpOptionCode code, uint? value)
        {
            if (value is uint v)
            {
                BinaryPrimitives.WriteUInt32BigEndian(Begin(code, 4), v);
            }
        }

        public void Text(DhcpOptionCode code, string? value)
        {
            if (value is not null)
            {
                Encoding.ASCII.GetBytes(value, Begin(code, value.Length));
            }
        }

        public void End() => _field[_position] = (byte)DhcpOptionCode.End;
    }
}
