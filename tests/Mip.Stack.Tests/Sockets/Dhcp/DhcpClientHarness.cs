using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Dhcp;

/// <summary>
/// Drives a <see cref="DhcpClient"/> the way the stack loop does: deliver a datagram at an instant, and between
/// deliveries poll exactly at every <see cref="DhcpClient.NextDeadline"/>. Time is fake and explicit.
/// </summary>
internal sealed class DhcpClientHarness
{
    public static readonly Ipv4Address Offered = Ipv4Address.Parse("192.168.2.57");
    public static readonly Ipv4Address ServerId = Ipv4Address.Parse("192.168.2.1");
    public static readonly MacAddress OtherMac = MacAddress.Parse("02:00:00:00:00:99");

    /// <summary>Exact timings: no jitter, no start delay, probe disabled unless a test turns it on.</summary>
    public static DhcpClientOptions ExactOptions(bool probe = false) => new()
    {
        RetransmitJitter = TimeSpan.Zero,
        ArpProbe = probe,
        ProbeWait = TimeSpan.Zero,
        ProbeMin = TimeSpan.FromMilliseconds(100),
        ProbeMax = TimeSpan.FromMilliseconds(100),
        AnnounceWait = TimeSpan.FromMilliseconds(200),
        AnnounceCount = 0,
    };

    public DhcpClientHarness(DhcpClientOptions? options = null, int seed = 1)
    {
        Host = new FakeDhcpHost(() => Now);
        Client = new DhcpClient(Host, options ?? ExactOptions(), new Random(seed));
    }

    public Instant Now { get; private set; }
    public FakeDhcpHost Host { get; }
    public FakeDhcpServer Server { get; } = new();
    public DhcpClient Client { get; }

    public SentDhcp LastSent => Host.Sent[^1];

    public void Start(Instant at)
    {
        Now = at;
        Client.Start(at);
    }

    /// <summary>Runs every timer due up to and including <paramref name="until"/>, each at its own deadline.</summary>
    public void RunUntil(Instant until)
    {
        while (Client.NextDeadline <= until)
        {
            Now = Instant.Max(Now, Client.NextDeadline);
            Client.Poll(Now);
        }
        Now = until;
    }

    /// <summary>Advances to <paramref name="at"/> (running timers on the way), then hands the client a datagram.</summary>
    public void Deliver(byte[] payload, Instant at)
    {
        RunUntil(at);
        Client.OnDatagram(payload, at);
        Client.Poll(at);
    }

    /// <summary>Advances to <paramref name="at"/>, then reports an ARP reply from <paramref name="ip"/>/<paramref name="mac"/>.</summary>
    public void Arp(Ipv4Address ip, MacAddress mac, Instant at) =>
        Arp(new ArpRepr(ArpOperation.Reply, mac, ip, Host.Mac, ip), at);

    /// <summary>Advances to <paramref name="at"/>, then reports <paramref name="arp"/> as received.</summary>
    public void Arp(ArpRepr arp, Instant at)
    {
        RunUntil(at);
        Client.OnArpObserved(arp, at);
        Client.Poll(at);
    }

    /// <summary>DISCOVER at <paramref name="start"/>, OFFER and ACK answered at the same instant: bound at once.</summary>
    public void BindAt(Instant start)
    {
        Start(start);
        Deliver(Server.Offer(LastSent), start);
        Deliver(Server.Ack(LastSent), start);
        Assert.Equal(DhcpClientState.Bound, Client.State);
    }

    public static Instant S(double seconds) => new((long)Math.Round(seconds * 1_000_000));
}
