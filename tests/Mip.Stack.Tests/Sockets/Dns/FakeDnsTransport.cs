using Mip.Stack.Sockets.Dns;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Sockets.Dns;

/// <summary>Records every query the resolver sends; the test answers them through the resolver's OnDatagram.</summary>
internal sealed class FakeDnsTransport : IDnsTransport
{
    public List<Ipv4Address> ServerList { get; } = [];

    public IReadOnlyList<Ipv4Address> Servers => ServerList;

    public List<SentQuery> Sent { get; } = [];

    /// <summary>What SendQuery returns (false simulates no route).</summary>
    public bool CanSend { get; set; } = true;

    public bool SendQuery(ReadOnlySpan<byte> payload, Ipv4Address server, ushort sourcePort)
    {
        Sent.Add(new SentQuery(payload.ToArray(), server, sourcePort));
        return CanSend;
    }

    internal sealed record SentQuery(byte[] Payload, Ipv4Address Server, ushort SourcePort)
    {
        public ushort Id => (ushort)((Payload[0] << 8) | Payload[1]);

        /// <summary>The question's name as text, read back with the production reader.</summary>
        public string Name
        {
            get
            {
                Assert.True(DnsPacket.TryCreate(Payload, out var packet));
                Span<byte> names = stackalloc byte[DnsName.MaxLength];
                var reader = packet.GetReader(names);
                Assert.True(reader.TryReadQuestion(out var question));
                return DnsName.ToText(question.Name);
            }
        }

        /// <summary>The endpoint a genuine answer comes from.</summary>
        public Ipv4Endpoint ServerEndpoint => new(Server, DnsResolver.ServerPort);
    }
}
