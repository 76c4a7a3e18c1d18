using Mip.Stack;
using Mip.Stack.Iface;

namespace Mip.EndToEnd.Tests.Tcp;

/// <summary>
/// Applications that run inside the stack loop after every poll (the harness's poll hook). Add them with
/// <see cref="Add"/> from a <c>StackHarness.Invoke</c> callback, so the list is only ever touched on the loop thread.
/// </summary>
internal sealed class LoopApps
{
    private readonly List<Action<NetStack, Instant>> _apps = [];

    public void Add(Action<NetStack, Instant> app) => _apps.Add(app);

    public void Poll(NetStack stack, Instant now)
    {
        for (int i = 0; i < _apps.Count; i++)
        {
            _apps[i](stack, now);
        }
    }
}
