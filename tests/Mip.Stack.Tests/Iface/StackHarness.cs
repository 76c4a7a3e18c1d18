using Mip.Stack.Iface;
using Mip.Stack.Phy;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Iface;

/// <summary>Builds stacks over an <see cref="InMemoryLink"/> and runs them on fake time.</summary>
internal static class StackHarness
{
    public static readonly Ipv4Address Mask24 = Ipv4Address.MaskFromPrefix(24);
    public static readonly Ipv4Address Gateway = Ipv4Address.Parse("192.168.2.254");

    public static Ipv4Config Config(Ipv4Address address, Ipv4Address? gateway = null) =>
        new(address, Mask24, gateway ?? Ipv4Address.Any, []);

    public static NetStack Stack(INetworkDevice device, MacAddress mac, Ipv4Config? config, Instant now, int seed = 1,
        Func<StackOptions, StackOptions>? customize = null)
    {
        var options = new StackOptions { Mac = mac, StaticIpv4 = config };
        return new NetStack(device, customize?.Invoke(options) ?? options, new Random(seed), now);
    }

    public static List<StackEvent> DrainEvents(NetStack stack)
    {
        var events = new List<StackEvent>();
        while (stack.TryDequeueEvent(out var ev))
        {
            events.Add(ev);
        }
        return events;
    }

    /// <summary>Every frame the stack on the other end of <paramref name="peer"/> sent, taken off the wire.</summary>
    public static List<byte[]> Sent(InMemoryLink.End peer)
    {
        var frames = new List<byte[]>();
        while (peer.TryTake(out var f))
        {
            frames.Add(f);
        }
        return frames;
    }
}

/// <summary>Two stacks on one cable: A = 192.168.2.1 (02:..:01), B = 192.168.2.10 (02:..:02), both /24.</summary>
internal sealed class TwoStacks
{
    public TwoStacks(int mtu = 1500, Func<StackOptions, StackOptions>? customize = null)
    {
        Link = new InMemoryLink(mtu);
        A = StackHarness.Stack(Link.A, Fixtures.MacA, StackHarness.Config(Fixtures.IpA), Now, 1, customize);
        B = StackHarness.Stack(Link.B, Fixtures.MacB, StackHarness.Config(Fixtures.IpB), Now, 2, customize);
    }

    public InMemoryLink Link { get; }
    public NetStack A { get; }
    public NetStack B { get; }
    public Instant Now { get; private set; } = Instant.FromSeconds(100);

    /// <summary>Polls both stacks at the current time until the cable is quiet.</summary>
    public void Run()
    {
        for (int i = 0; i < 100; i++)
        {
            A.Poll(Now);
            B.Poll(Now);
            if (Link.A.Pending == 0 && Link.B.Pending == 0)
            {
                return;
            }
        }
        throw new InvalidOperationException("The stacks never went quiet.");
    }

    public void Advance(TimeSpan by)
    {
        Now += by;
        Run();
    }
}
