using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dhcp;

public sealed partial class DhcpServer
{
    private const ushort ServerPort = 67;
    private const ushort ClientPort = 68;

    /// <summary>
    /// Takes a UDP payload that arrived on port 67. Malformed messages, replies, and messages from or for other
    /// servers are counted in <see cref="DhcpServerCounters.Ignored"/>; nothing here throws on bad input.
    /// </summary>
    internal void OnDatagram(ReadOnlySpan<byte> payload, Instant now)
    {
        if (_host.Ipv4 is null || !DhcpMessage.TryCreate(payload, out var message) || message.Op != DhcpOpcode.BootRequest
            || !DhcpRepr.TryParse(message, out var request) || !request.ClientHardwareAddress.IsUnicast
            || request.ClientHardwareAddress == MacAddress.Zero)
        {
            Counters.Ignored++;
            return;
        }
        switch (request.MessageType)
        {
            case DhcpMessageType.Discover:
                Counters.DiscoversReceived++;
                OnDiscover(request, now);
                break;
            case DhcpMessageType.Request:
                Counters.RequestsReceived++;
                OnRequest(request, now);
                break;
            case DhcpMessageType.Decline:
                Counters.DeclinesReceived++;
                OnDecline(request, now);
                break;
            case DhcpMessageType.Release:
                Counters.ReleasesReceived++;
                OnRelease(request);
                break;
            case DhcpMessageType.Inform:
                Counters.InformsReceived++;
                OnInform(request);
                break;
            default:
                // Plain BOOTP (no option 53) and server-to-client types are not served.
                Counters.Ignored++;
                break;
        }
    }

    /// <summary>RFC 2131 §4.3.1: choose an address, reserve it for the client and OFFER it.</summary>
    private void OnDiscover(in DhcpRepr request, Instant now)
    {
        var mac = request.ClientHardwareAddress;
        if (ChooseAddress(mac, request.RequestedAddress, now) is not { } address)
        {
            Counters.PoolExhausted++;
            return;
        }
        // A bound client that discovers again (it lost its state) keeps its lease; only new offers are held briefly.
        if (!_byMac.TryGetValue(mac, out var binding) || binding.IsOffered)
        {
            Bind(mac, address, now + _options.OfferHoldTime, offered: true);
        }
        Send(DhcpServerMessages.Offer(request, address, LeaseSeconds, Parameters()), request, isNak: false);
        Counters.OffersSent++;
    }

    /// <summary>
    /// RFC 2131 §4.3.2. The client's state shows in the message: SELECTING carries option 54; INIT-REBOOT option 50
    /// and 'ciaddr' 0; RENEWING and REBINDING 'ciaddr' and neither option.
    /// </summary>
    private void OnRequest(in DhcpRepr request, Instant now)
    {
        var config = _host.Ipv4!;
        var mac = request.ClientHardwareAddress;
        _byMac.TryGetValue(mac, out var binding);
        if (request.ServerIdentifier is { } serverId)
        {
            if (serverId != config.Address)
            {
                // The client took another server's offer: ours is free again (§4.3.2 "SELECTING state").
                if (binding is { IsOffered: true })
                {
                    Remove(binding);
                }
                Counters.Ignored++;
                return;
            }
            var selected = request.RequestedAddress ?? request.ClientAddress;
            if (binding is not null && binding.Address == selected)
            {
                Acknowledge(request, binding.Address, now);
            }
            else
            {
                Nak(request, "no offer for that address");
            }
            return;
        }
        if (request.ClientAddress.IsAny)
        {
            // INIT-REBOOT: option 50 MUST be present; without it the message is not a valid request.
            if (request.RequestedAddress is not { } remembered)
            {
                Counters.Ignored++;
                return;
            }
            if (!config.IsOnLink(remembered))
            {
                Nak(request, "wrong network");
            }
            else if (binding is not null)
            {
                Answer(request, binding.Address == remembered, remembered, now);
            }
            else if (_staticOwners.TryGetValue(remembered, out var owner) && owner == mac && IsFree(remembered, mac, now))
            {
                Acknowledge(request, remembered, now);
            }
            else if (_byAddress.ContainsKey(remembered) || _staticOwners.ContainsKey(remembered))
            {
                Nak(request, "address in use");
            }
            else
            {
                // §4.3.2 INIT-REBOOT: "If the DHCP server has no record of this client, then it MUST remain silent".
                Counters.Ignored++;
            }
            return;
        }
        // RENEWING (unicast) or REBINDING (broadcast): extend the client's lease on 'ciaddr'.
        var leased = request.ClientAddress;
        if (binding is not null && binding.Address == leased)
        {
            Acknowledge(request, leased, now);
        }
        else if (!config.IsOnLink(leased) || _byAddress.ContainsKey(leased) || binding is not null)
        {
            // The client holds an address that is not (or no longer) its own here.
            Nak(request, "lease not valid");
        }
        else
        {
            // No record of the client (e.g. the server restarted): stay silent and let it rebind or restart (§4.3.2).
            Counters.Ignored++;
        }
    }

    private void Answer(in DhcpRepr request, bool matches, Ipv4Address address, Instant now)
    {
        if (matches)
        {
            Acknowledge(request, address, now);
        }
        else
        {
            Nak(request, "address not leased to you");
        }
    }

    /// <summary>RFC 2131 §4.3.3: the address is in use elsewhere; take it out of the pool and forget the binding.</summary>
    private void OnDecline(in DhcpRepr request, Instant now)
    {
        var config = _host.Ipv4!;
        if (request.ServerIdentifier is { } serverId && serverId != config.Address
            || request.RequestedAddress is not { } address
            || !_byMac.TryGetValue(request.ClientHardwareAddress, out var binding) || binding.Address != address)
        {
            Counters.Ignored++;
            return;
        }
        Remove(binding);
        _declined[address] = now + _options.DeclineHoldTime;
    }

    /// <summary>RFC 2131 §4.3.4: the client gives its lease back; the address becomes free.</summary>
    private void OnRelease(in DhcpRepr request)
    {
        var config = _host.Ipv4!;
        if (request.ServerIdentifier is { } serverId && serverId != config.Address
            || !_byMac.TryGetValue(request.ClientHardwareAddress, out var binding) || binding.Address != request.ClientAddress)
        {
            Counters.Ignored++;
            return;
        }
        Remove(binding);
    }

    /// <summary>RFC 2131 §4.3.5: configuration only, no lease, unicast to the address the client already has.</summary>
    private void OnInform(in DhcpRepr request)
    {
        if (request.ClientAddress.IsAny || !_host.Ipv4!.IsOnLink(request.ClientAddress))
        {
            Counters.Ignored++;
            return;
        }
        Send(DhcpServerMessages.InformAck(request, Parameters()), request, isNak: false);
        Counters.AcksSent++;
    }

    private void Acknowledge(in DhcpRepr request, Ipv4Address address, Instant now)
    {
        Bind(request.ClientHardwareAddress, address, now + _options.LeaseTime, offered: false);
        Send(DhcpServerMessages.Ack(request, address, LeaseSeconds, Parameters()), request, isNak: false);
        Counters.AcksSent++;
    }

    private void Nak(in DhcpRepr request, string reason)
    {
        var reply = DhcpServerMessages.Nak(request, _host.Ipv4!.Address, reason);
        Send(request.RelayAgentAddress.IsAny ? reply : reply with { Broadcast = true }, request, isNak: true);
        Counters.NaksSent++;
    }

    /// <summary>
    /// RFC 2131 §4.1: through a relay, to 'giaddr' on port 67; a NAK is broadcast; to 'ciaddr' when the client has
    /// one; broadcast when the client set the BROADCAST bit; otherwise unicast to 'yiaddr' at 'chaddr', without ARP.
    /// </summary>
    private void Send(in DhcpRepr reply, in DhcpRepr request, bool isNak)
    {
        int length = reply.Emit(_reply);
        var payload = _reply.AsSpan(0, length);
        if (!request.RelayAgentAddress.IsAny)
        {
            _host.SendDhcpReply(payload, new Ipv4Endpoint(request.RelayAgentAddress, ServerPort), null);
        }
        else if (isNak || (request.ClientAddress.IsAny && request.Broadcast))
        {
            _host.SendDhcpReply(payload, new Ipv4Endpoint(Ipv4Address.Broadcast, ClientPort), null);
        }
        else if (!request.ClientAddress.IsAny)
        {
            _host.SendDhcpReply(payload, new Ipv4Endpoint(request.ClientAddress, ClientPort), null);
        }
        else
        {
            _host.SendDhcpReply(payload, new Ipv4Endpoint(reply.YourAddress, ClientPort), request.ClientHardwareAddress);
        }
    }

    private uint LeaseSeconds => (uint)_options.LeaseTime.TotalSeconds;

    private DhcpServerMessages.Parameters Parameters()
    {
        var config = _host.Ipv4!;
        var router = _options.Router ?? (config.Gateway.IsAny ? null : config.Gateway);
        return new DhcpServerMessages.Parameters(config.Address, config.Mask, router, _options.DnsServers ?? config.DnsServers,
            _options.DomainName);
    }
}
