using Grpc.Core;
using Microsoft.AspNetCore.Http.Features;
using Mip.Grpc.V1;
using Mip.Server.Hosting;
using Mip.Server.Metrics;
using Mip.Stack.Iface;
using Mip.Stack.Pcap;
using Mip.Stack.Phy;
using GrpcStackCounters = Mip.Grpc.V1.StackCounters;

namespace Mip.Server.Grpc;

/// <summary>mip.v1.StackService: status, ARP, sockets, events, ping and DNS. Every stack read is a loop command.</summary>
internal sealed partial class StackGrpcService(
    StackBridge bridge,
    MipOptions options,
    INetworkDevice device,
    PcapDevice? pcap = null) : StackService.StackServiceBase
{
    public override Task<GetStatusResponse> GetStatus(GetStatusRequest request, ServerCallContext context) =>
        bridge.InvokeAsync((stack, _) =>
        {
            var response = new GetStatusResponse
            {
                Interface = new InterfaceStatus
                {
                    Name = options.Interface ?? "",
                    Netns = options.Netns ?? "",
                    Mac = stack.Mac.ToString(),
                    MtuBytes = (uint)device.Mtu,
                    LinkUp = stack.IsLinkUp,
                },
                Counters = ToProto(CountersSnapshot.Capture(stack, pcap)),
            };
            if (stack.Ipv4 is { } config)
            {
                response.Ipv4 = EventMapper.ToIpv4Status(config, stack.Dhcp?.Lease, stack.Dhcp is null, bridge.Clock);
            }
            return response;
        }, context.CancellationToken);

    public override Task<ListArpEntriesResponse> ListArpEntries(ListArpEntriesRequest request, ServerCallContext context) =>
        bridge.InvokeAsync((stack, now) =>
        {
            var response = new ListArpEntriesResponse();
            response.Entries.Add(stack.GetArpTable(now).Select(EventMapper.ToArpEntry));
            return response;
        }, context.CancellationToken);

    public override Task<ListSocketsResponse> ListSockets(ListSocketsRequest request, ServerCallContext context) =>
        bridge.InvokeAsync((_, _) =>
        {
            var response = new ListSocketsResponse();
            response.Sockets.Add(bridge.Sockets.All.OrderBy(s => s.Id, StringComparer.Ordinal).Select(s => s.ToProto()));
            return response;
        }, context.CancellationToken);

    public override async Task<CloseSocketResponse> CloseSocket(CloseSocketRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.Id))
        {
            throw GrpcErrors.InvalidArgument("id", "required: a socket id from ListSockets");
        }
        bool found = await bridge.InvokeAsync((_, _) =>
        {
            if (!bridge.Sockets.TryGet(request.Id, out var socket))
            {
                return false;
            }
            socket.Abort($"closed by CloseSocket from {context.Peer}");
            return true;
        }, context.CancellationToken).ConfigureAwait(false);
        return found
            ? new CloseSocketResponse()
            : throw GrpcErrors.Create(StatusCode.NotFound, "SOCKET_NOT_FOUND", $"no socket {request.Id}: it may have closed already");
    }

    public override async Task WatchEvents(WatchEventsRequest request, IServerStreamWriter<WatchEventsResponse> responseStream, ServerCallContext context)
    {
        foreach (var kind in request.Kinds)
        {
            if (!Enum.IsDefined(kind))
            {
                throw GrpcErrors.InvalidArgument("kinds", $"unknown event kind {(int)kind}");
            }
        }
        var watcher = await bridge.InvokeAsync((stack, now) => bridge.Events.Subscribe(request.Kinds, stack, bridge.Sockets, now),
            context.CancellationToken).ConfigureAwait(false);
        using var call = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        // The client read nothing for the grace period after the watcher was dropped or the server began to shut down.
        // The status would queue behind data HTTP/2 flow control holds back, so reset the stream to free the call, and
        // only then cancel the write: Kestrel resets a stream whose write is cancelled with CANCEL, and HttpContext.Abort
        // with INTERNAL_ERROR, which gRPC clients report as Cancelled (as if they had cancelled) and Internal. The codes
        // chosen instead map (gRPC's PROTOCOL-HTTP2.md) to what the client should hear: ENHANCE_YOUR_CALM to
        // ResourceExhausted, the code of the WATCHER_TOO_SLOW status that could not be delivered; REFUSED_STREAM to
        // Unavailable, a server going away. RFC 9113 §8.7 lets a client retry a refused stream as unprocessed, which
        // is harmless for a read-only watch.
        using var giveUp = watcher.GiveUp.Register(() =>
        {
            ResetStream(context, watcher.DropError is null ? RefusedStream : EnhanceYourCalm);
            call.Cancel();
        });
        try
        {
            await foreach (var message in watcher.Reader.ReadAllAsync(call.Token).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(message, call.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (watcher.GiveUp.IsCancellationRequested)
        {
            if (watcher.DropError is { } dropped)
            {
                throw dropped;
            }
        }
        finally
        {
            _ = bridge.InvokeAsync((_, _) =>
            {
                bridge.Events.Unsubscribe(watcher);
                return true;
            }, CancellationToken.None);
        }
    }

    /// <summary>HTTP/2 error codes (RFC 9113 §7).</summary>
    private const int RefusedStream = 0x7, EnhanceYourCalm = 0xb;

    /// <summary>
    /// Resets the call's HTTP/2 stream with <paramref name="errorCode"/> (aborts it where resets are not supported); a
    /// context not hosted by ASP.NET Core has none.
    /// </summary>
    private static void ResetStream(ServerCallContext context, int errorCode)
    {
        HttpContext http;
        try
        {
            http = context.GetHttpContext();
        }
        catch (InvalidOperationException)
        {
            return;
        }
        if (http.Features.Get<IHttpResetFeature>() is { } reset)
        {
            reset.Reset(errorCode);
        }
        else
        {
            http.Abort();
        }
    }

    public override async Task<ResolveResponse> Resolve(ResolveRequest request, ServerCallContext context)
    {
        string name = request.Name.Trim();
        if (name.Length == 0)
        {
            throw GrpcErrors.InvalidArgument("name", "required: a DNS name such as demo.lab");
        }
        var result = await bridge.ResolveAsync(name, context.CancellationToken).ConfigureAwait(false);
        if (result.Status != Stack.Sockets.Dns.DnsResolveStatus.Success)
        {
            throw GrpcErrors.FromDns(result);
        }
        var response = new ResolveResponse
        {
            CanonicalName = result.CanonicalName ?? name,
            TtlSeconds = (uint)Math.Clamp(result.Ttl.TotalSeconds, 0, uint.MaxValue),
            FromCache = result.FromCache,
        };
        response.Addresses.Add(result.Addresses.Select(a => a.ToString()));
        return response;
    }

    internal static GrpcStackCounters ToProto(CountersSnapshot s)
    {
        var counters = new GrpcStackCounters
        {
            FramesReceived = (ulong)s.FramesReceived,
            FramesSent = (ulong)s.FramesSent,
            BytesReceived = (ulong)s.BytesReceived,
            BytesSent = (ulong)s.BytesSent,
            CaptureDrops = (ulong)s.KernelDrops,
            UdpDatagramsReceived = (ulong)s.UdpDatagramsReceived,
            UdpDatagramsSent = (ulong)s.UdpDatagramsSent,
            TcpSegmentsReceived = (ulong)s.TcpSegmentsReceived,
            TcpSegmentsSent = (ulong)s.TcpSegmentsSent,
            TcpRetransmits =
            {
                ["rto"] = (ulong)s.TcpRetransmitsRto,
                ["fast"] = (ulong)s.TcpRetransmitsFast,
                ["tlp"] = (ulong)s.TcpRetransmitsTlp,
            },
        };
        // Only reasons that happened: a map of 26 zeros says nothing.
        for (int i = 0; i < s.Drops.Length; i++)
        {
            if (s.Drops[i] != 0)
            {
                counters.Drops[EventMapper.DropReasonName((DropReason)i)] = (ulong)s.Drops[i];
            }
        }
        return counters;
    }
}
