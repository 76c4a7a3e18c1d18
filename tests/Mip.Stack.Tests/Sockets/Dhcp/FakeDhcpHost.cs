using Mip.Stack.Iface;
using Mip.Stack.Sockets.Dhcp;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Dhcp;

/// <summary>Records everything the client asks of the stack, stamped with the harness's current time.</summary>
internal sealed class FakeDhcpHost(Func<Instant> clock) : IDhcpHost
{
    public MacAddress Mac { get; } = MacAddress.Parse("02:00:00:00:00:01");

    public List<SentDhcp> Sent { get; } = [];
    public List<(Ipv4Address Target, Instant At)> Probes { get; } = [];
    public List<(Ipv4Address Address, Instant At)> Announcements { get; } = [];
    public List<(Ipv4Config? Config, Instant At)> Configs { get; } = [];
    public List<StackEvent> Events { get; } = [];

    public void SendDhcp(ReadOnlySpan<byte> payload, Ipv4Address source, Ipv4Address destination) =>
        Sent.Add(new SentDhcp(payload.ToArray(), source, destination, clock()));

    /// <summary>Destinations ARP has not resolved: unicast datagrams sent to them wait (until removed from here).</summary>
    public HashSet<Ipv4Address> Unresolved { get; } = [];

    public bool IsWaitingForArp(Ipv4Address source, Ipv4Address destination) =>
        Unresolved.Contains(destination) && Sent.Exists(s => s.Source == source && s.Destination == destination);

    public void SendArpProbe(Ipv4Address target) => Probes.Add((target, clock()));

    public void SendArpAnnouncement(Ipv4Address address) => Announcements.Add((address, clock()));

    public void ApplyConfig(Ipv4Config? config, Instant now) => Configs.Add((config, now));

    public void Publish(StackEvent ev) => Events.Add(ev);
}

/// <summary>One DHCP message the client sent, with its IP addressing and send time.</summary>
internal sealed record SentDhcp(byte[] Payload, Ipv4Address Source, Ipv4Address Destination, Instant At)
{
    public DhcpRepr Repr
    {
        get
        {
            Assert.True(DhcpMessage.TryCreate(Payload, out var m));
            Assert.True(DhcpRepr.TryParse(m, out var r));
            return r;
        }
    }

    public DhcpMessageType Type => Repr.MessageType;
}
