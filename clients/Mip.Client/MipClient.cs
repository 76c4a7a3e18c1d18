using System.Net;
using System.Runtime.CompilerServices;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Mip.Grpc.V1;

namespace Mip.Client;

/// <summary>
/// A connection to a MipGrpc server: sockets on its user-space stack that feel like <c>System.Net.Sockets</c>
/// (<see cref="ConnectAsync"/> returns a <see cref="Stream"/>, <see cref="ListenAsync"/> a listener,
/// <see cref="OpenUdpAsync"/> a datagram socket), the stack's events as <see cref="IAsyncEnumerable{T}"/>, ping, DNS,
/// and <see cref="CreateHttpHandler"/> for an <see cref="HttpClient"/> whose connections go through the stack.
/// Thread-safe; dispose it to close the channel.
/// </summary>
public sealed class MipClient : IDisposable
{
    private readonly GrpcChannel? _ownedChannel;
    private readonly TcpService.TcpServiceClient _tcp;
    private readonly UdpService.UdpServiceClient _udp;

    /// <summary>Connects to <paramref name="address"/>, e.g. <c>http://127.0.0.1:50051</c> (h2c) or an https URL.</summary>
    public MipClient(string address, MipClientOptions? options = null)
    {
        options ??= new MipClientOptions();
        _ownedChannel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = options.MaxReceiveMessageBytes,
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
        var invoker = options.Token is { } token
            ? _ownedChannel.Intercept(metadata =>
            {
                metadata.Add("authorization", "Bearer " + token);
                return metadata;
            })
            : _ownedChannel.CreateCallInvoker();
        (Stack, _tcp, _udp, Capture) = (new(invoker), new(invoker), new(invoker), new(invoker));
    }

    /// <summary>Uses an existing call invoker (a channel you configured yourself); it is not disposed with this client.</summary>
    public MipClient(CallInvoker invoker) =>
        (Stack, _tcp, _udp, Capture) = (new(invoker), new(invoker), new(invoker), new(invoker));

    /// <summary>The generated client for status, ARP, sockets, events, ping and DNS.</summary>
    public StackService.StackServiceClient Stack { get; }

    /// <summary>The generated client for packet capture.</summary>
    public CaptureService.CaptureServiceClient Capture { get; }

    /// <summary>Opens a TCP connection from the stack to <paramref name="host"/> (an address or a DNS name) and port.</summary>
    /// <exception cref="MipSocketException">Refused, timed out, unreachable, or the stack has no address.</exception>
    public async Task<MipTcpStream> ConnectAsync(string host, int port, TcpOptions? options = null,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var call = _tcp.Connect(cancellationToken: CancellationToken.None);
        try
        {
            var open = new ConnectOpen { Host = host, Port = checked((uint)port), Options = options };
            if (timeout is { } t)
            {
                open.TimeoutMs = (uint)Math.Clamp(t.TotalMilliseconds, 1, uint.MaxValue);
            }
            await call.RequestStream.WriteAsync(new ConnectRequest { Open = open }, cancellationToken).ConfigureAwait(false);
            if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false) || call.ResponseStream.Current.Connected is not { } connected)
            {
                throw new MipSocketException(System.Net.Sockets.SocketError.ConnectionAborted, "NO_HANDSHAKE",
                    $"the server ended the call before connecting to {host}:{port}");
            }
            return new MipTcpStream(TcpFrameChannels.ForConnect(call), connected.SocketId,
                connected.Local.ToIPEndPoint(), connected.Remote.ToIPEndPoint());
        }
        catch (RpcException ex)
        {
            call.Dispose();
            throw MipSocketException.FromRpc(ex);
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    /// <summary>Listens on <paramref name="port"/> of the stack (0 = ephemeral).</summary>
    public async Task<MipTcpListener> ListenAsync(int port, int backlog = 128, TcpOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var lifetime = new CancellationTokenSource();
        var call = _tcp.Listen(new ListenRequest { Port = checked((uint)port), Backlog = checked((uint)backlog), Options = options },
            cancellationToken: lifetime.Token);
        try
        {
            if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false) || call.ResponseStream.Current.Listening is not { } listening)
            {
                throw new MipSocketException(System.Net.Sockets.SocketError.SocketError, "NO_LISTENER", $"the server did not listen on port {port}");
            }
            return new MipTcpListener(_tcp, call, lifetime, listening.Local.ToIPEndPoint());
        }
        catch (RpcException ex)
        {
            call.Dispose();
            lifetime.Dispose();
            throw MipSocketException.FromRpc(ex);
        }
    }

    /// <summary>Opens a UDP socket on the stack, bound to <paramref name="port"/> (0 = ephemeral).</summary>
    public async Task<MipUdpSocket> OpenUdpAsync(int port = 0, bool broadcast = false, CancellationToken cancellationToken = default)
    {
        var call = _udp.Open(cancellationToken: CancellationToken.None);
        try
        {
            await call.RequestStream.WriteAsync(new OpenRequest { Bind = new UdpBind { Port = checked((uint)port), Broadcast = broadcast } }, cancellationToken).ConfigureAwait(false);
            if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false) || call.ResponseStream.Current.Bound is not { } bound)
            {
                throw new MipSocketException(System.Net.Sockets.SocketError.SocketError, "NO_SOCKET", "the server did not bind the UDP socket");
            }
            return new MipUdpSocket(call, bound.SocketId, bound.Local.ToIPEndPoint());
        }
        catch (RpcException ex)
        {
            call.Dispose();
            throw MipSocketException.FromRpc(ex);
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    /// <summary>The stack's events: first a snapshot of the current state, then live events, filtered by kind.</summary>
    public async IAsyncEnumerable<WatchEventsResponse> WatchEventsAsync(IEnumerable<EventKind>? kinds = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = new WatchEventsRequest();
        request.Kinds.AddRange(kinds ?? []);
        using var call = Stack.WatchEvents(request, cancellationToken: cancellationToken);
        await foreach (var ev in ReadAllMapped(call.ResponseStream, cancellationToken).ConfigureAwait(false))
        {
            yield return ev;
        }
    }

    /// <summary>Pings <paramref name="host"/> from the stack; one item per reply or timeout.</summary>
    public async IAsyncEnumerable<PingResponse> PingAsync(string host, int count = 4, TimeSpan? interval = null,
        int payloadBytes = 56, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = new PingRequest
        {
            Host = host,
            Count = checked((uint)count),
            IntervalMs = (uint)(interval ?? TimeSpan.FromSeconds(1)).TotalMilliseconds,
            PayloadBytes = checked((uint)payloadBytes),
        };
        using var call = Stack.Ping(request, cancellationToken: cancellationToken);
        await foreach (var reply in ReadAllMapped(call.ResponseStream, cancellationToken).ConfigureAwait(false))
        {
            yield return reply;
        }
    }

    /// <summary>Resolves <paramref name="name"/> with the stack's DNS resolver.</summary>
    /// <exception cref="MipSocketException">HostNotFound for NXDOMAIN; TimedOut when no server answered.</exception>
    public async Task<IPAddress[]> ResolveAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await Stack.ResolveAsync(new ResolveRequest { Name = name }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return [.. response.Addresses.Select(IPAddress.Parse)];
        }
        catch (RpcException ex)
        {
            throw MipSocketException.FromRpc(ex);
        }
    }

    /// <summary>
    /// An <see cref="HttpMessageHandler"/> whose connections are TCP connections from the remote stack, so a plain
    /// <see cref="HttpClient"/> talks to hosts on the stack's network: <c>new HttpClient(client.CreateHttpHandler())</c>.
    /// </summary>
    public SocketsHttpHandler CreateHttpHandler() => new()
    {
        ConnectCallback = async (context, cancellationToken) =>
            await ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, new TcpOptions { NoDelay = true },
                cancellationToken: cancellationToken).ConfigureAwait(false),
        UseProxy = false,
    };

    public void Dispose() => _ownedChannel?.Dispose();

    private static async IAsyncEnumerable<T> ReadAllMapped<T>(IAsyncStreamReader<T> reader,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                if (!await reader.MoveNext(cancellationToken).ConfigureAwait(false))
                {
                    yield break;
                }
            }
            catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled)
            {
                throw MipSocketException.FromRpc(ex);
            }
            yield return reader.Current;
        }
    }
}
