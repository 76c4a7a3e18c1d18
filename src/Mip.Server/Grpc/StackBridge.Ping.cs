using System.Threading.Channels;
using Mip.Stack.Iface;

namespace Mip.Server.Grpc;

internal sealed partial class StackBridge
{
    private readonly Dictionary<ushort, ChannelWriter<StackEvent>> _pings = [];
    private ushort _nextPingId = (ushort)Random.Shared.Next(1, 65536);

    /// <summary>
    /// On the loop thread: reserves an ICMP identifier for one Ping call; its replies and failures arrive on
    /// <paramref name="events"/>. Identifiers are unique among running calls, so concurrent pings never see each
    /// other's replies.
    /// </summary>
    public ushort RegisterPing(ChannelWriter<StackEvent> events)
    {
        if (_pings.Count >= ushort.MaxValue)
        {
            throw GrpcErrors.Create(global::Grpc.Core.StatusCode.ResourceExhausted, "TOO_MANY_PINGS", "every ICMP identifier is in use");
        }
        while (_nextPingId == 0 || _pings.ContainsKey(_nextPingId))
        {
            _nextPingId++;
        }
        ushort id = _nextPingId++;
        _pings.Add(id, events);
        return id;
    }

    public void UnregisterPing(ushort id) => _pings.Remove(id);

    private void DeliverPing(ushort id, StackEvent ev)
    {
        // A full queue means a flood of replies nobody asked for (duplicates, spoofing): dropping them is right.
        if (_pings.TryGetValue(id, out var writer))
        {
            writer.TryWrite(ev);
        }
    }
}
