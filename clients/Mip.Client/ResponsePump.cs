using System.Threading.Channels;
using Grpc.Core;

namespace Mip.Client;

/// <summary>
/// Moves the items of a server stream into a bounded channel, so a caller's cancellation of one read does not cancel
/// the call (a token passed to MoveNext would). The channel completes with the call's failure, or cleanly when the
/// call ends or is cancelled by its owner.
/// </summary>
internal static class ResponsePump
{
    public static async Task RunAsync<TResponse, TItem>(IAsyncStreamReader<TResponse> reader, Func<TResponse, TItem?> select,
        ChannelWriter<TItem> writer, CancellationToken lifetime)
        where TItem : struct
    {
        Exception? error = null;
        try
        {
            while (await reader.MoveNext(lifetime).ConfigureAwait(false))
            {
                if (select(reader.Current) is { } item)
                {
                    await writer.WriteAsync(item, lifetime).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
            error = ex is RpcException { StatusCode: not StatusCode.Cancelled } ? ex : null;
        }
        writer.TryComplete(error);
    }
}
