using Google.Protobuf;
using Grpc.Core;
using Mip.Grpc.V1;

namespace Mip.Client;

/// <summary>
/// The data half of a TCP stream call, whatever its message types (Connect or Attach): write bytes, half-close,
/// read the next frame. Lets one <see cref="MipTcpStream"/> serve both calls.
/// </summary>
internal sealed class TcpFrameChannel<TRequest, TResponse>(
    AsyncDuplexStreamingCall<TRequest, TResponse> call,
    Func<ByteString, TRequest> dataRequest,
    Func<TRequest> shutdownRequest,
    Func<TRequest> closeRequest,
    Func<TResponse, TcpFrame?> decode) : ITcpFrameChannel
    where TRequest : class
    where TResponse : class
{
    public Task WriteDataAsync(ByteString data, CancellationToken cancellationToken) =>
        call.RequestStream.WriteAsync(dataRequest(data), cancellationToken);

    /// <summary>Half-closes; the request stream stays open so that a <c>close</c> can still follow.</summary>
    public Task WriteShutdownAsync(CancellationToken cancellationToken) =>
        call.RequestStream.WriteAsync(shutdownRequest(), cancellationToken);

    public async Task WriteCloseAsync(CancellationToken cancellationToken)
    {
        await call.RequestStream.WriteAsync(closeRequest(), cancellationToken).ConfigureAwait(false);
        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
    }

    public async Task<TcpFrame> ReadAsync(CancellationToken cancellationToken)
    {
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            if (decode(call.ResponseStream.Current) is { } frame)
            {
                return frame;
            }
        }
        // The server ends a call with OK only after the peer's FIN; treat a bare end the same way.
        return TcpFrame.End;
    }

    public async Task WaitForStatusAsync(CancellationToken cancellationToken)
    {
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
        }
    }

    public void Dispose() => call.Dispose();
}

/// <summary>The message-type-free view of a TCP stream call.</summary>
internal interface ITcpFrameChannel : IDisposable
{
    Task WriteDataAsync(ByteString data, CancellationToken cancellationToken);

    Task WriteShutdownAsync(CancellationToken cancellationToken);

    /// <summary>Closes like close(2): FIN if not sent yet; the server ends the call at once.</summary>
    Task WriteCloseAsync(CancellationToken cancellationToken);

    /// <summary>The next frame: data (non-empty) or the end of the stream.</summary>
    Task<TcpFrame> ReadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Reads past the end of stream until the server completes the call. Disposing a call earlier cancels it, and the
    /// server answers a cancelled call by resetting the connection.
    /// </summary>
    Task WaitForStatusAsync(CancellationToken cancellationToken);
}

/// <summary>Received bytes, or the end of the stream when <see cref="Data"/> is null.</summary>
internal readonly record struct TcpFrame(ByteString? Data)
{
    public static TcpFrame End => default;
}

/// <summary>Adapters for the two calls that carry a connection.</summary>
internal static class TcpFrameChannels
{
    public static ITcpFrameChannel ForConnect(AsyncDuplexStreamingCall<ConnectRequest, ConnectResponse> call) =>
        new TcpFrameChannel<ConnectRequest, ConnectResponse>(call,
            data => new ConnectRequest { Data = data },
            () => new ConnectRequest { ShutdownSend = new ShutdownSend() },
            () => new ConnectRequest { Close = new CloseConnection() },
            m => m.FrameCase switch
            {
                ConnectResponse.FrameOneofCase.Data when !m.Data.IsEmpty => new TcpFrame(m.Data),
                ConnectResponse.FrameOneofCase.EndOfStream => TcpFrame.End,
                _ => null,
            });

    public static ITcpFrameChannel ForAttach(AsyncDuplexStreamingCall<AttachRequest, AttachResponse> call) =>
        new TcpFrameChannel<AttachRequest, AttachResponse>(call,
            data => new AttachRequest { Data = data },
            () => new AttachRequest { ShutdownSend = new ShutdownSend() },
            () => new AttachRequest { Close = new CloseConnection() },
            m => m.FrameCase switch
            {
                AttachResponse.FrameOneofCase.Data when !m.Data.IsEmpty => new TcpFrame(m.Data),
                AttachResponse.FrameOneofCase.EndOfStream => TcpFrame.End,
                _ => null,
            });
}
