using Mip.Stack.Wire;

namespace Mip.Stack.Sockets.Dhcp;

public sealed partial class DhcpClient
{
    private int _consecutiveNaks;

    /// <summary>
    /// Takes a UDP payload that arrived on port 68. Anything that is not a reply to the exchange in progress is
    /// counted under a <see cref="DhcpIgnoreReason"/> and otherwise ignored; nothing here throws on bad input.
    /// </summary>
    internal void OnDatagram(ReadOnlySpan<byte> payload, Instant now)
    {
        if (!DhcpMessage.TryCreate(payload, out var message))
        {
            Counters.Ignore(DhcpIgnoreReason.Malformed);
            return;
        }
        // Cheap header checks first, so other clients' traffic on a busy segment is never option-parsed.
        if (message.Op != DhcpOpcode.BootReply)
        {
            Counters.Ignore(DhcpIgnoreReason.NotBootReply);
            return;
        }
        if (message.ClientHardwareAddress != _host.Mac)
        {
            Counters.Ignore(DhcpIgnoreReason.ForeignHardwareAddress);
            return;
        }
        if (State is not (DhcpClientState.Selecting or DhcpClientState.Requesting or DhcpClientState.Rebooting
            or DhcpClientState.Renewing or DhcpClientState.Rebinding))
        {
            Counters.Ignore(DhcpIgnoreReason.NotExpected);
            return;
        }
        if (message.TransactionId != _xid)
        {
            Counters.Ignore(DhcpIgnoreReason.WrongTransactionId);
            return;
        }
        if (!DhcpRepr.TryParse(message, out var reply))
        {
            Counters.Ignore(DhcpIgnoreReason.Malformed);
            return;
        }
        switch (reply.MessageType)
        {
            case DhcpMessageType.None:
                Counters.Ignore(DhcpIgnoreReason.NotDhcp);
                break;
            case DhcpMessageType.Offer when State == DhcpClientState.Selecting:
                OnOffer(reply, now);
                break;
            case DhcpMessageType.Ack when State != DhcpClientState.Selecting:
                OnAck(reply, now);
                break;
            case DhcpMessageType.Nak when State != DhcpClientState.Selecting:
                OnNak(reply, now);
                break;
            default:
                Counters.Ignore(DhcpIgnoreReason.UnexpectedMessageType);
                break;
        }
    }

    private void OnOffer(in DhcpRepr offer, Instant now)
    {
        // Option 54 is a MUST in an OFFER (RFC 2131 §4.3.1 table 3); 'siaddr' is the fallback for old servers.
        var server = offer.ServerIdentifier ?? offer.ServerAddress;
        if (!IsUsableUnicast(offer.YourAddress) || !IsUsableUnicast(server))
        {
            Counters.Ignore(DhcpIgnoreReason.Unusable);
            return;
        }
        Counters.OffersReceived++;
        bool preferred = offer.YourAddress == _preferredAddress;
        if (_offerPending && !preferred)
        {
            // Collecting: keep the first offer unless this one gives us back the address we asked for.
            return;
        }
        _selectedAddress = offer.YourAddress;
        _selectedServer = server;
        if (_options.OfferCollectionWindow <= TimeSpan.Zero || preferred)
        {
            BeginRequesting(now);
        }
        else if (!_offerPending)
        {
            _offerPending = true;
            _deadline = now + _options.OfferCollectionWindow;
        }
    }

    private void OnAck(in DhcpRepr ack, Instant now)
    {
        // In REQUESTING only the selected server may answer (RFC 2131 §4.4.1: the others see their offer declined).
        if (State == DhcpClientState.Requesting && ack.ServerIdentifier is { } id && id != _selectedServer)
        {
            Counters.Ignore(DhcpIgnoreReason.WrongServer);
            return;
        }
        bool renewal = State is DhcpClientState.Renewing or DhcpClientState.Rebinding;
        var previous = renewal ? Lease : null;
        var server = ack.ServerIdentifier
            ?? (!_selectedServer.IsAny && !renewal ? _selectedServer : previous?.ServerId ?? ack.ServerAddress);
        if (!IsUsableUnicast(ack.YourAddress) || !IsUsableUnicast(server))
        {
            Counters.Ignore(DhcpIgnoreReason.Unusable);
            return;
        }
        if (!TryBuildLease(ack, server, previous, out var lease))
        {
            Counters.Ignore(DhcpIgnoreReason.MissingLeaseTime);
            return;
        }
        Counters.AcksReceived++;
        _consecutiveNaks = 0;
        if (renewal)
        {
            Renewed(lease, now);
        }
        else if (_options.ArpProbe)
        {
            BeginProbe(lease, now);
        }
        else
        {
            Bind(lease, now);
        }
    }

    /// <summary>
    /// DHCPNAK: the address is not ours (any more). Stop using it and start over from INIT (RFC 2131 §3.1 step 4,
    /// §3.2 step 4, §4.4.5). Repeated NAKs back off so a misconfigured server cannot make the client spin.
    /// </summary>
    private void OnNak(in DhcpRepr nak, Instant now)
    {
        if (State == DhcpClientState.Requesting && nak.ServerIdentifier is { } id && id != _selectedServer)
        {
            Counters.Ignore(DhcpIgnoreReason.WrongServer);
            return;
        }
        Counters.NaksReceived++;
        _preferredAddress = null;
        LoseLease(now, DhcpLeaseLostReason.Nak);
        var delay = _consecutiveNaks == 0
            ? TimeSpan.Zero
            : TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerSecond << Math.Min(_consecutiveNaks - 1, 16), _options.MaxNakBackoff.Ticks));
        _consecutiveNaks++;
        RestartAfter(now, delay);
    }

    private static bool IsUsableUnicast(Ipv4Address a) => !a.IsAny && !a.IsBroadcast && !a.IsMulticast && !a.IsLoopback;
}
