using Google.Protobuf;
using Mip.Grpc.V1;

namespace Mip.Server.Grpc.Tcp;

/// <summary>What a request carries once the connection is open: bytes, the half-close, or the close.</summary>
internal readonly record struct TcpRequestFrame(ByteString? Data, bool Shutdown, bool Close = false);

/// <summary>The message types of one connection call (Connect or Attach), so one carrier serves both.</summary>
internal sealed record TcpFrameCodec<TRequest, TResponse>(
    Func<TRequest, TcpRequestFrame> Decode,
    Func<Connected, TResponse> Connected,
    Func<ByteString, TResponse> Data,
    Func<TResponse> EndOfStream);

/// <summary>The codecs of the two calls.</summary>
internal static class TcpFrameCodecs
{
    public static readonly TcpFrameCodec<ConnectRequest, ConnectResponse> Connect = new(
        r => r.FrameCase switch
        {
            ConnectRequest.FrameOneofCase.Data => new TcpRequestFrame(r.Data, false),
            ConnectRequest.FrameOneofCase.ShutdownSend => new TcpRequestFrame(null, true),
            ConnectRequest.FrameOneofCase.Close => new TcpRequestFrame(null, false, true),
            _ => default,
        },
        c => new ConnectResponse { Connected = c },
        d => new ConnectResponse { Data = d },
        () => new ConnectResponse { EndOfStream = new EndOfStream() });

    public static readonly TcpFrameCodec<AttachRequest, AttachResponse> Attach = new(
        r => r.FrameCase switch
        {
            AttachRequest.FrameOneofCase.Data => new TcpRequestFrame(r.Data, false),
            AttachRequest.FrameOneofCase.ShutdownSend => new TcpRequestFrame(null, true),
            AttachRequest.FrameOneofCase.Close => new TcpRequestFrame(null, false, true),
            _ => default,
        },
        c => new AttachResponse { Attached = c },
        d => new AttachResponse { Data = d },
        () => new AttachResponse { EndOfStream = new EndOfStream() });
}
