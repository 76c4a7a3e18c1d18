using Mip.Grpc.V1;
using Mip.Stack;
using Mip.Stack.Iface;
using Mip.Stack.Sockets.Dhcp;
using GrpcArpEntryState = Mip.Grpc.V1.ArpEntryState;
using StackArpEntryState = Mip.Stack.Iface.ArpEntryState;
using StackDhcpLease = Mip.Stack.Sockets.Dhcp.DhcpLease;

namespace Mip.Server.Grpc;

/// <summary>Pure translations from the stack's values and events to the API's messages.</summary>
internal static class EventMapper
{
    private static readonly string[] DropReasonNames =
        [.. Enum.GetValues<DropReason>().OrderBy(r => (int)r).Select(r => ToSnakeCase(r.ToString()))];

    /// <summary>The label of a drop reason in the API and in metrics: BadChecksum -> "bad_checksum".</summary>
    public static string DropReasonName(DropReason reason) => DropReasonNames[(int)reason];

    public static string ToSnakeCase(string pascal)
    {
        var sb = new System.Text.StringBuilder(pascal.Length + 8);
        for (int i = 0; i < pascal.Length; i++)
        {
            char c = pascal[i];
            if (char.IsUpper(c))
            {
                // A boundary before an upper-case letter that follows a lower-case one or starts a new word in an
                // acronym run ("ArpQueueFull" -> arp_queue_full, "UnknownEtherType" -> unknown_ether_type).
                bool boundary = i > 0 && (char.IsLower(pascal[i - 1]) || char.IsDigit(pascal[i - 1])
                    || (i + 1 < pascal.Length && char.IsLower(pascal[i + 1]) && char.IsUpper(pascal[i - 1])));
                if (boundary)
                {
                    sb.Append('_');
                }
                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// The IPv4 status of <paramref name="config"/>: DHCP with its lease when <paramref name="lease"/> is the lease
    /// of that address, static when the configuration was given, otherwise unspecified.
    /// </summary>
    public static Ipv4Status ToIpv4Status(Ipv4Config config, StackDhcpLease? lease, bool isStatic, StackClock clock)
    {
        var status = new Ipv4Status
        {
            Address = config.Address.ToString(),
            PrefixLength = (uint)config.Mask.PrefixLength,
            Gateway = config.Gateway.IsAny ? "" : config.Gateway.ToString(),
            Source = isStatic ? AddressSource.Static : AddressSource.Unspecified,
        };
        status.DnsServers.Add(config.DnsServers.Select(a => a.ToString()));
        if (lease is not null && lease.Address == config.Address)
        {
            status.Source = AddressSource.Dhcp;
            status.Lease = ToLease(lease, clock);
        }
        return status;
    }

    public static Mip.Grpc.V1.DhcpLease ToLease(StackDhcpLease lease, StackClock clock)
    {
        var proto = new Mip.Grpc.V1.DhcpLease
        {
            Server = lease.ServerId.ToString(),
            // RFC 2131 §3.3: 0xFFFFFFFF means infinite.
            LeaseSeconds = lease.IsInfinite ? uint.MaxValue : (uint)Math.Min(lease.LeaseDuration.TotalSeconds, uint.MaxValue - 1),
            AcquiredTime = clock.ToTimestamp(lease.AcquiredAt),
        };
        // An infinite lease never renews, rebinds or expires: those fields stay unset.
        if (clock.ToTimestamp(lease.RenewAt) is { } renew)
        {
            proto.RenewTime = renew;
        }
        if (clock.ToTimestamp(lease.RebindAt) is { } rebind)
        {
            proto.RebindTime = rebind;
        }
        if (clock.ToTimestamp(lease.ExpiresAt) is { } expire)
        {
            proto.ExpireTime = expire;
        }
        return proto;
    }

    public static ArpEntry ToArpEntry(ArpEntryInfo info) => new()
    {
        Address = info.Ip.ToString(),
        Mac = info.State == StackArpEntryState.Incomplete ? "" : info.Mac.ToString(),
        State = info.State switch
        {
            StackArpEntryState.Incomplete => GrpcArpEntryState.Incomplete,
            StackArpEntryState.Reachable => GrpcArpEntryState.Reachable,
            StackArpEntryState.Stale => GrpcArpEntryState.Stale,
            _ => GrpcArpEntryState.Unspecified,
        },
        AgeMs = (ulong)Math.Max(0, (long)info.Age.TotalMilliseconds),
    };

    /// <summary>The kind a message belongs to, for watchers' filters.</summary>
    public static EventKind KindOf(WatchEventsResponse message) => message.EventCase switch
    {
        WatchEventsResponse.EventOneofCase.Link => EventKind.Link,
        WatchEventsResponse.EventOneofCase.Address => EventKind.Address,
        WatchEventsResponse.EventOneofCase.Dhcp => EventKind.Dhcp,
        WatchEventsResponse.EventOneofCase.Arp => EventKind.Arp,
        WatchEventsResponse.EventOneofCase.Socket => EventKind.Socket,
        _ => EventKind.Unspecified,
    };

    /// <summary>
    /// The watch message for a stack event, or null for events that are not watched (ping replies belong to their
    /// Ping call). <paramref name="lease"/> is the DHCP client's current lease, used for address changes.
    /// </summary>
    public static WatchEventsResponse? ToWatchEvent(StackEvent ev, StackDhcpLease? lease, bool isStatic, StackClock clock)
    {
        var message = new WatchEventsResponse { Time = clock.ToTimestamp(ev.At) };
        switch (ev)
        {
            case LinkChanged link:
                message.Link = new LinkEvent { Up = link.Up };
                break;
            case Ipv4Changed changed:
                message.Address = new AddressEvent();
                if (changed.New is { } config)
                {
                    message.Address.Ipv4 = ToIpv4Status(config, lease, isStatic, clock);
                }
                break;
            case DhcpLeaseAcquired acquired:
                message.Dhcp = new DhcpEvent { Kind = DhcpEventKind.Acquired, Lease = ToLease(acquired.Lease, clock), Address = acquired.Lease.Address.ToString() };
                break;
            case DhcpLeaseRenewed renewed:
                message.Dhcp = new DhcpEvent { Kind = DhcpEventKind.Renewed, Lease = ToLease(renewed.Lease, clock), Address = renewed.Lease.Address.ToString() };
                break;
            case DhcpLeaseLost lost:
                message.Dhcp = new DhcpEvent { Kind = DhcpEventKind.Lost, Reason = lost.Reason.ToString() };
                break;
            case ArpEntryChanged arp:
                message.Arp = new ArpEvent
                {
                    Kind = arp.Kind switch
                    {
                        ArpEntryChangeKind.Added => ArpEventKind.Added,
                        ArpEntryChangeKind.Updated => ArpEventKind.Changed,
                        ArpEntryChangeKind.Expired => ArpEventKind.Expired,
                        _ => ArpEventKind.Unspecified,
                    },
                    Entry = new ArpEntry
                    {
                        Address = arp.Ip.ToString(),
                        Mac = arp.Mac.ToString(),
                        State = arp.Kind == ArpEntryChangeKind.Expired ? GrpcArpEntryState.Unspecified : GrpcArpEntryState.Reachable,
                    },
                };
                break;
            default:
                return null;
        }
        return message;
    }

    public static WatchEventsResponse ToSocketEvent(ServerSocket socket, SocketEventKind kind, string error, Instant at, StackClock clock) => new()
    {
        Time = clock.ToTimestamp(at),
        Socket = new SocketEvent { Kind = kind, Socket = socket.ToProto(), Error = error },
    };
}
