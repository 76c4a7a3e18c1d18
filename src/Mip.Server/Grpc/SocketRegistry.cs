using Grpc.Core;
using Mip.Grpc.V1;

namespace Mip.Server.Grpc;

/// <summary>
/// The sockets gRPC clients hold, by id and by owner: what ListSockets shows, CloseSocket closes and the per-client
/// limit counts. Mutated and read on the stack loop thread only (the same thread that opens and closes the stack
/// sockets), so a socket event is ordered with the stack events around it. <see cref="OpenCount"/> may be read
/// anywhere (metrics).
/// </summary>
internal sealed class SocketRegistry(int maxSocketsPerClient, Action<ServerSocket, SocketEventKind, string> onChanged)
{
    private readonly Dictionary<string, ServerSocket> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _perOwner = new(StringComparer.Ordinal);
    private readonly int[] _openByProtocol = new int[Enum.GetValues<SocketProtocol>().Length];
    private long _nextId;

    public int MaxSocketsPerClient { get; } = maxSocketsPerClient;

    /// <summary>Open sockets of <paramref name="protocol"/>; safe to read from any thread.</summary>
    public int OpenCount(SocketProtocol protocol) => Volatile.Read(ref _openByProtocol[(int)protocol]);

    public IEnumerable<ServerSocket> All => _byId.Values;

    /// <summary>A new id such as "udp-7"; ids never repeat, so a stale id never closes someone else's socket.</summary>
    public string NewId(string prefix) => $"{prefix}-{++_nextId}";

    /// <summary>Whether <paramref name="owner"/> may open one more socket.</summary>
    public bool HasCapacity(string owner) => _perOwner.GetValueOrDefault(owner) < MaxSocketsPerClient;

    /// <summary>Throws ResourceExhausted (reason TOO_MANY_SOCKETS) when <paramref name="owner"/> is at its limit.</summary>
    public void EnsureCapacity(string owner)
    {
        if (!HasCapacity(owner))
        {
            throw GrpcErrors.Create(StatusCode.ResourceExhausted, "TOO_MANY_SOCKETS",
                $"this client already holds {MaxSocketsPerClient} sockets (--max-sockets-per-client); close some first");
        }
    }

    public void Add(ServerSocket socket)
    {
        EnsureCapacity(socket.Owner);
        _byId.Add(socket.Id, socket);
        _perOwner[socket.Owner] = _perOwner.GetValueOrDefault(socket.Owner) + 1;
        Interlocked.Increment(ref _openByProtocol[(int)socket.Protocol]);
        onChanged(socket, SocketEventKind.Opened, "");
    }

    /// <summary>Forgets <paramref name="socket"/> (false if it was not registered) and publishes its close.</summary>
    public bool Remove(ServerSocket socket, string error = "")
    {
        if (!_byId.Remove(socket.Id))
        {
            return false;
        }
        int left = _perOwner[socket.Owner] - 1;
        if (left == 0)
        {
            _perOwner.Remove(socket.Owner);
        }
        else
        {
            _perOwner[socket.Owner] = left;
        }
        Interlocked.Decrement(ref _openByProtocol[(int)socket.Protocol]);
        onChanged(socket, SocketEventKind.Closed, error);
        return true;
    }

    public bool TryGet(string id, out ServerSocket socket) => _byId.TryGetValue(id, out socket!);
}
