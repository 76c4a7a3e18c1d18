using System.Buffers;
using Google.Protobuf;
using Grpc.Core;
using Mip.Grpc.V1;
using Mip.Server.Grpc.Capture;
using Mip.Server.Hosting;
using Mip.Server.Metrics;

namespace Mip.Server.Grpc;

/// <summary>
/// mip.v1.CaptureService: streams the stack's frames as pcapng. The first message holds the SHB and IDB; each later
/// one coalesces the packet blocks queued so far (up to <see cref="ChunkBytes"/>), so a busy link costs few messages.
/// </summary>
internal sealed class CaptureGrpcService(CaptureTap tap, MipOptions options, CaptureMetrics metrics) : CaptureService.CaptureServiceBase
{
    public const int ChunkBytes = 64 * 1024;

    public override async Task Capture(CaptureRequest request, IServerStreamWriter<CaptureResponse> responseStream, ServerCallContext context)
    {
        var filter = CaptureFilter.Parse(request, out var violations);
        if (request.SnapLength is > 0 and < 14)
        {
            violations.Add(new FieldViolation("snap_length", "0 (whole frames) or at least 14 (an Ethernet header)"));
        }
        if (violations.Count > 0)
        {
            throw GrpcErrors.InvalidArgument(violations);
        }
        var ct = context.CancellationToken;
        int snap = request.SnapLength == 0 ? 65535 : (int)Math.Min(request.SnapLength, 65535);
        var session = new CaptureSession(filter, snap);
        string name = options.Interface ?? "mip";
        var header = new byte[PcapNgWriter.HeaderLength(name)];
        PcapNgWriter.WriteHeader(header, name, snap);
        await responseStream.WriteAsync(new CaptureResponse { Pcapng = ByteString.CopyFrom(header) }, ct).ConfigureAwait(false);

        tap.Add(session);
        metrics.SessionStarted();
        var chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes + PcapNgWriter.PacketBlockLength(65535));
        long reportedDrops = 0;
        try
        {
            ulong written = 0;
            while (await session.Frames.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                int used = 0;
                while (used < ChunkBytes && (request.MaxFrames == 0 || written < request.MaxFrames) && session.Frames.TryRead(out var frame))
                {
                    used += PcapNgWriter.WritePacket(chunk.AsSpan(used), frame.TimestampMicroseconds, frame.Buffer.AsSpan(0, frame.Length), frame.OriginalLength, frame.Inbound);
                    ArrayPool<byte>.Shared.Return(frame.Buffer);
                    written++;
                }
                long dropped = session.Dropped;
                metrics.Dropped(dropped - reportedDrops);
                reportedDrops = dropped;
                if (used > 0)
                {
                    await responseStream.WriteAsync(new CaptureResponse { Pcapng = ByteString.CopyFrom(chunk, 0, used), DroppedFrames = (ulong)dropped }, ct).ConfigureAwait(false);
                }
                if (request.MaxFrames != 0 && written >= request.MaxFrames)
                {
                    break;
                }
            }
        }
        finally
        {
            tap.Remove(session);
            session.Complete();
            metrics.SessionEnded();
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
