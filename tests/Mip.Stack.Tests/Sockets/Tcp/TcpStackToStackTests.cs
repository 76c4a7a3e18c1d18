using System.Security.Cryptography;
using Mip.Stack.Iface;
using Mip.Stack.Phy;
using Mip.Stack.Sockets.Tcp;
using Mip.Stack.Tests.Iface;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Tcp;

/// <summary>Two stacks talking TCP over an in-memory cable (optionally through a fault injector) on fake time.</summary>
public sealed class TcpStackToStackTests
{
    [Fact]
    public void Handshake_data_both_ways_and_graceful_close()
    {
        var net = new TwoStacks();
        var listener = net.B.ListenTcp(80);
        var client = net.A.ConnectTcp(new Ipv4Endpoint(Fixtures.IpB, 80), net.Now);
        Assert.Equal(TcpState.SynSent, client.State);
        net.Run();
        Assert.Equal(TcpState.Established, client.State);
        Assert.True(net.B.TryDequeueTcpAcceptReady(out var ready));
        Assert.Same(listener, ready);
        Assert.True(listener.TryAccept(out var server));
        Assert.Equal(TcpState.Established, server.State);
        Assert.Equal(client.LocalEndpoint, server.RemoteEndpoint);

        Assert.Equal(5, client.Send("hello"u8));
        net.Run();
        var buffer = new byte[64];
        Assert.Equal(5, server.Receive(buffer));
        Assert.Equal("hello"u8.ToArray(), buffer[..5]);
        Assert.Equal(5, server.Send("world"u8));
        net.Run();
        Assert.Equal(5, client.Receive(buffer));
        Assert.Equal("world"u8.ToArray(), buffer[..5]);

        client.Close();
        net.Run();
        Assert.Equal(TcpState.FinWait2, client.State);
        Assert.Equal(TcpState.CloseWait, server.State);
        Assert.True(server.IsReceiveFinished);
        server.Close();
        net.Run();
        Assert.Equal(TcpState.TimeWait, client.State);
        Assert.Equal(TcpState.Closed, server.State);
        Assert.Equal(TcpError.None, server.Error);
        net.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(TcpState.Closed, client.State);
        Assert.Empty(net.A.TcpSockets);
        Assert.Empty(net.B.TcpSockets);
    }

    [Theory]
    [InlineData(CongestionAlgorithm.Cubic)]
    [InlineData(CongestionAlgorithm.NewReno)]
    public void Four_MiB_each_way_arrive_intact(CongestionAlgorithm algorithm)
    {
        var options = new TcpSocketOptions { CongestionControl = algorithm };
        using var pair = new TcpPair(options);
        var aData = RandomBytes(4 << 20, 1);
        var bData = RandomBytes(4 << 20, 2);
        var (atB, atA) = pair.Exchange(aData, bData, TimeSpan.FromSeconds(60));
        Assert.Equal(SHA256.HashData(aData), SHA256.HashData(atB));
        Assert.Equal(SHA256.HashData(bData), SHA256.HashData(atA));
    }

    [Theory]
    [InlineData(7, 0.02, false, CongestionAlgorithm.Cubic)]
    [InlineData(11, 0.05, false, CongestionAlgorithm.Cubic)]
    [InlineData(13, 0.05, true, CongestionAlgorithm.NewReno)]
    [InlineData(17, 0.10, false, CongestionAlgorithm.NewReno)]
    [InlineData(19, 0.10, false, CongestionAlgorithm.NewReno)]
    [InlineData(23, 0.10, false, CongestionAlgorithm.Cubic)]
    [InlineData(31, 0.10, true, CongestionAlgorithm.Cubic)]
    public void Transfer_survives_loss_reordering_and_duplication(int seed, double loss, bool plain, CongestionAlgorithm cc)
    {
        var faults = new FaultOptions
        {
            DropProbability = loss,
            ReorderProbability = 0.02,
            DuplicateProbability = 0.01,
            Delay = TimeSpan.FromMilliseconds(1),
        };
        // plain: no SACK and no timestamps, so NewReno recovery and Karn's one-segment RTT timing are exercised.
        var options = new TcpSocketOptions { Sack = !plain, Timestamps = !plain, CongestionControl = cc };
        using var pair = new TcpPair(options, faults, seed);
        var aData = RandomBytes(1 << 20, 3);
        var bData = RandomBytes(1 << 20, 4);
        var (atB, atA) = pair.Exchange(aData, bData, TimeSpan.FromSeconds(600));
        int diffB = aData.AsSpan().CommonPrefixLength(atB), diffA = bData.AsSpan().CommonPrefixLength(atA);
        Assert.Equal((aData.Length, bData.Length), (diffB, diffA));
        Assert.Equal(SHA256.HashData(aData), SHA256.HashData(atB));
        Assert.Equal(SHA256.HashData(bData), SHA256.HashData(atA));
        Assert.True(pair.A.Counters.TcpRetransmitsFast + pair.A.Counters.TcpRetransmitsRto > 0);
    }

    internal static byte[] RandomBytes(int n, int seed)
    {
        var data = new byte[n];
        new Random(seed).NextBytes(data);
        return data;
    }
}

/// <summary>A connected pair of sockets on two stacks, with a loop that pumps data both ways on fake time.</summary>
internal sealed class TcpPair : IDisposable
{
    private readonly InMemoryLink _link;
    private Instant _now = Instant.FromSeconds(100);
    private readonly FaultInjectingDevice? _faultA;
    private readonly FaultInjectingDevice? _faultB;

    public TcpPair(TcpSocketOptions options, FaultOptions? faults = null, int seed = 7)
    {
        var link = _link = new InMemoryLink();
        INetworkDevice devA = link.A;
        INetworkDevice devB = link.B;
        if (faults is not null)
        {
            _faultA = new FaultInjectingDevice(link.A, faults, new Random(seed), () => _now);
            _faultB = new FaultInjectingDevice(link.B, faults, new Random(seed + 1), () => _now);
            devA = _faultA;
            devB = _faultB;
        }
        A = StackHarness.Stack(devA, Fixtures.MacA, StackHarness.Config(Fixtures.IpA), _now, 1);
        B = StackHarness.Stack(devB, Fixtures.MacB, StackHarness.Config(Fixtures.IpB), _now, 2);
        var listener = B.ListenTcp(5001, options: options);
        ClientSocket = A.ConnectTcp(new Ipv4Endpoint(Fixtures.IpB, 5001), _now, options);
        for (int i = 0; i < 10_000 && !listener.TryAccept(out _server!); i++)
        {
            Step();
        }
        Assert.NotNull(_server);
        Assert.Equal(TcpState.Established, ClientSocket.State);
    }

    private TcpSocket? _server;

    public NetStack A { get; }
    public NetStack B { get; }
    public TcpSocket ClientSocket { get; }
    public TcpSocket ServerSocket => _server!;

    /// <summary>Sends <paramref name="aData"/> from A and <paramref name="bData"/> from B at once; returns what each side read.</summary>
    public (byte[] AtB, byte[] AtA) Exchange(byte[] aData, byte[] bData, TimeSpan limit)
    {
        var atB = new MemoryStream();
        var atA = new MemoryStream();
        int aSent = 0, bSent = 0;
        var buffer = new byte[64 * 1024];
        var end = _now + limit;
        while (_now < end)
        {
            aSent += ClientSocket.Send(aData.AsSpan(aSent));
            bSent += ServerSocket.Send(bData.AsSpan(bSent));
            if (aSent == aData.Length && ClientSocket.CanSend)
            {
                ClientSocket.Shutdown();
            }
            if (bSent == bData.Length && ServerSocket.CanSend)
            {
                ServerSocket.Shutdown();
            }
            Step();
            int n;
            while ((n = ServerSocket.Receive(buffer)) > 0)
            {
                atB.Write(buffer, 0, n);
            }
            while ((n = ClientSocket.Receive(buffer)) > 0)
            {
                atA.Write(buffer, 0, n);
            }
            if (ClientSocket.IsReceiveFinished && ServerSocket.IsReceiveFinished)
            {
                break;
            }
        }
        return (atB.ToArray(), atA.ToArray());
    }

    /// <summary>Polls both stacks; when both are idle, jumps to the next timer or fault deadline.</summary>
    public void Step()
    {
        A.Poll(_now);
        B.Poll(_now);
        var next = Instant.Min(A.NextPollAt(_now), B.NextPollAt(_now));
        if (_faultA is not null)
        {
            next = Instant.Min(next, Instant.Min(_faultA.NextDueAt, _faultB!.NextDueAt));
        }
        // Frames on the cable are delivered by the next poll at the same instant; time moves only when it is quiet,
        // straight to the next deadline.
        if (_link.A.Pending == 0 && _link.B.Pending == 0 && next > _now)
        {
            _now = next == Instant.MaxValue ? _now + TimeSpan.FromMilliseconds(1) : next;
        }
    }

    public Instant Now => _now;

    public void Dispose()
    {
        _faultA?.Dispose();
        _faultB?.Dispose();
    }
}
