using System.Diagnostics;
using System.Threading.Channels;
using Grpc.Core;
using Mip.Grpc.V1;
using Mip.Stack.Iface;

namespace Mip.Server.Grpc;

internal sealed partial class StackGrpcService
{
    /// <summary>
    /// Sends <c>count</c> echo requests <c>interval_ms</c> apart, like ping(8): each request is answered by one message,
    /// a reply as it arrives or a timeout <c>timeout_ms</c> after it was sent, so requests overlap when the timeout is
    /// longer than the interval. Messages come in the order their outcome was known.
    /// </summary>
    public override async Task Ping(PingRequest request, IServerStreamWriter<PingResponse> responseStream, ServerCallContext context)
    {
        var args = PingArguments.Parse(request, out var violations);
        if (violations.Count > 0)
        {
            throw GrpcErrors.InvalidArgument(violations);
        }
        var ct = context.CancellationToken;
        var destination = await bridge.ResolveHostAsync(args.Host, ct).ConfigureAwait(false);
        var events = Channel.CreateBounded<StackEvent>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
        ushort id = await bridge.InvokeAsync((_, _) => bridge.RegisterPing(events.Writer), ct).ConfigureAwait(false);
        try
        {
            var clock = Stopwatch.StartNew();
            var outstanding = new SortedDictionary<ushort, TimeSpan>(); // sequence -> deadline
            int sent = 0;
            TimeSpan nextSend = TimeSpan.Zero;
            while (sent < args.Count || outstanding.Count > 0)
            {
                var now = clock.Elapsed;
                if (sent < args.Count && now >= nextSend)
                {
                    ushort seq = (ushort)(sent + 1);
                    bool ok = await bridge.InvokeAsync((stack, at) => stack.SendPing(destination, id, seq, args.PayloadBytes, at), ct).ConfigureAwait(false);
                    sent++;
                    nextSend += args.Interval;
                    if (ok)
                    {
                        outstanding[seq] = clock.Elapsed + args.Timeout;
                    }
                    else
                    {
                        // Not sent at all (no address, no route, link down): say so at once, as ping(8) prints sendmsg errors.
                        await responseStream.WriteAsync(new PingResponse { Sequence = seq, Error = "NotSent" }, ct).ConfigureAwait(false);
                    }
                    continue;
                }
                foreach (var (seq, deadline) in outstanding.Where(o => o.Value <= now).ToList())
                {
                    outstanding.Remove(seq);
                    await responseStream.WriteAsync(new PingResponse { Sequence = seq }, ct).ConfigureAwait(false);
                }
                var wakeAt = sent < args.Count ? nextSend : TimeSpan.MaxValue;
                if (outstanding.Count > 0)
                {
                    var earliest = outstanding.Values.Min();
                    wakeAt = earliest < wakeAt ? earliest : wakeAt;
                }
                if (wakeAt == TimeSpan.MaxValue)
                {
                    break;
                }
                var wait = wakeAt - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    timeout.CancelAfter(wait);
                    try
                    {
                        await events.Reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                    }
                }
                while (events.Reader.TryRead(out var ev))
                {
                    if (ToResponse(ev, destination.ToString()) is { } response && outstanding.Remove((ushort)response.Sequence))
                    {
                        await responseStream.WriteAsync(response, ct).ConfigureAwait(false);
                    }
                }
            }
        }
        finally
        {
            _ = bridge.InvokeAsync((_, _) =>
            {
                bridge.UnregisterPing(id);
                return true;
            }, CancellationToken.None);
        }
    }

    /// <summary>The message for a reply or failure of this call (late duplicates are filtered by the caller).</summary>
    internal static PingResponse? ToResponse(StackEvent ev, string destination) => ev switch
    {
        PingReplyReceived reply => new PingResponse
        {
            Sequence = reply.Seq,
            Replied = true,
            RttUs = (ulong)Math.Max(0, (long)(reply.Rtt?.TotalMicroseconds ?? 0)),
            Ttl = reply.Ttl,
            From = reply.From.ToString(),
        },
        PingFailed failed => new PingResponse { Sequence = failed.Seq, From = destination, Error = ToError(failed.Reason) },
        _ => null,
    };

    /// <summary>
    /// <c>PingResponse.error</c> for a failure: the names stack.proto documents, spelt out so renaming the enum
    /// cannot change what clients see.
    /// </summary>
    internal static string ToError(PingFailureReason reason) => reason switch
    {
        PingFailureReason.HostUnreachable => "HostUnreachable",
        PingFailureReason.NetworkUnreachable => "NetworkUnreachable",
        PingFailureReason.TtlExceeded => "TtlExceeded",
        PingFailureReason.Unreachable => "Unreachable",
        PingFailureReason.AddressLost => "AddressLost",
        _ => reason.ToString(),
    };
}
