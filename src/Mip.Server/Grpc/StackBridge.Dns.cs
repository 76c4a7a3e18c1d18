using Mip.Stack.Iface;
using Mip.Stack.Sockets.Dns;
using Mip.Stack.Wire;

namespace Mip.Server.Grpc;

internal sealed partial class StackBridge
{
    private readonly List<(int Handle, TaskCompletionSource<DnsResult> Result)> _resolves = [];

    /// <summary>Resolves <paramref name="name"/> with the stack's resolver; cancelling stops waiting and frees the query.</summary>
    public async Task<DnsResult> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        var tcs = new TaskCompletionSource<DnsResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        int handle = await InvokeAsync((stack, now) =>
        {
            int h = stack.Dns.BeginResolve(name, now);
            if (stack.Dns.TryGetResult(h, out var done))
            {
                tcs.SetResult(done);
            }
            else
            {
                _resolves.Add((h, tcs));
            }
            return h;
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            return await tcs.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _ = InvokeAsync((stack, _) =>
            {
                stack.Dns.Cancel(handle);
                return true;
            }, CancellationToken.None);
            throw;
        }
    }

    /// <summary>A literal address as it is, a name through DNS (the first address); the RPC error when it fails.</summary>
    public async Task<Ipv4Address> ResolveHostAsync(string host, CancellationToken cancellationToken)
    {
        if (Ipv4Address.TryParse(host, out var literal))
        {
            return literal;
        }
        var result = await ResolveAsync(host, cancellationToken).ConfigureAwait(false);
        return result.Status == DnsResolveStatus.Success ? result.Addresses[0] : throw GrpcErrors.FromDns(result);
    }

    private void PollResolves(NetStack stack)
    {
        for (int i = _resolves.Count - 1; i >= 0; i--)
        {
            var (handle, tcs) = _resolves[i];
            if (stack.Dns.TryGetResult(handle, out var result))
            {
                _resolves.RemoveAt(i);
                tcs.TrySetResult(result);
            }
        }
    }
}
