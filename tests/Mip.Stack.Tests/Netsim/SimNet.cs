using Mip.Stack.Iface;
using Mip.Stack.Phy;
using Mip.Stack.Tests.Phy;
using Mip.Stack.Wire;

namespace Mip.Stack.Tests.Netsim;

/// <summary>
/// Two stacks on one simulated cable (smoltcp's netsim): A = 192.168.2.1, B = 192.168.2.10 unless a factory says
/// otherwise, each end behind a <see cref="TapDevice"/> with seeded receive faults. Time is fake and jumps straight to
/// the next thing due (a stack timer, a delayed frame), so delays are exact and runs are reproducible bit for bit.
/// </summary>
internal sealed class SimNet : IDisposable
{
    public static readonly Instant Start = Instant.FromSeconds(1000);

    public SimNet(FaultOptions faults, int seed,
        Func<INetworkDevice, Instant, NetStack>? makeA = null, Func<INetworkDevice, Instant, NetStack>? makeB = null)
    {
        var random = new Random(seed);
        Link = new InMemoryLink();
        DeviceA = new TapDevice(Link.A, faults, new Random(random.Next()), Clock.Read);
        DeviceB = new TapDevice(Link.B, faults, new Random(random.Next()), Clock.Read);
        Clock.Now = Start;
        A = makeA?.Invoke(DeviceA, Start) ?? Iface.StackHarness.Stack(DeviceA, Fixtures.MacA, Iface.StackHarness.Config(Fixtures.IpA), Start, seed * 2 + 1);
        B = makeB?.Invoke(DeviceB, Start) ?? Iface.StackHarness.Stack(DeviceB, Fixtures.MacB, Iface.StackHarness.Config(Fixtures.IpB), Start, seed * 2 + 2);
    }

    public FakeClock Clock { get; } = new();
    public Instant Now => Clock.Now;
    public InMemoryLink Link { get; }
    public TapDevice DeviceA { get; }
    public TapDevice DeviceB { get; }
    public NetStack A { get; }
    public NetStack B { get; }

    public bool FaultsOn
    {
        set => DeviceA.FaultsOn = DeviceB.FaultsOn = value;
    }

    /// <summary>
    /// Polls both stacks (then <paramref name="onRound"/>, the application's turn) and moves time to the next thing
    /// due: a stack timer, a delayed frame or <paramref name="appDeadline"/>. Stops at <paramref name="until"/> or as
    /// soon as <paramref name="done"/> holds.
    /// </summary>
    public void RunUntil(Instant until, Func<bool>? done = null, Action? onRound = null, Func<Instant>? appDeadline = null)
    {
        int sameInstant = 0;
        while (true)
        {
            A.Poll(Now);
            B.Poll(Now);
            onRound?.Invoke();
            if (done?.Invoke() == true)
            {
                return;
            }
            var next = Instant.Min(Instant.Min(A.NextPollAt(Now), B.NextPollAt(Now)),
                Instant.Min(DeviceA.Faults.NextDueAt, DeviceB.Faults.NextDueAt));
            next = Instant.Min(next, appDeadline?.Invoke() ?? Instant.MaxValue);
            if (Link.A.Pending > 0 || Link.B.Pending > 0 || next <= Now)
            {
                // Frames on the wire, or something due, at this instant: poll again before time moves.
                if (++sameInstant > 10_000)
                {
                    throw new InvalidOperationException($"The simulation does not settle at {Now}.");
                }
                continue;
            }
            if (Now >= until)
            {
                return;
            }
            sameInstant = 0;
            Clock.Now = Instant.Min(next, until);
        }
    }

    public void Dispose()
    {
        DeviceA.Dispose();
        DeviceB.Dispose();
    }
}
