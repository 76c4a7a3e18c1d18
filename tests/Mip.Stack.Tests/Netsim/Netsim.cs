using System.Diagnostics;
using Mip.Stack.Iface;
using Mip.Stack.Phy;
using Mip.Stack.Tests.Iface;
using Mip.Stack.Tests.Phy;

namespace Mip.Stack.Tests.Netsim;

/// <summary>
/// Two stacks (A = 192.168.2.1, B = 192.168.2.10, static addresses) on an <see cref="InMemoryLink"/> whose ends are
/// wrapped in <see cref="FaultInjectingDevice"/>s (faults on transmit, so each direction is disturbed once), run on
/// fake time: the loop polls both stacks, lets the applications move data, then jumps the clock straight to the
/// earliest of both stacks' <see cref="NetStack.NextPollAt"/> and the fault devices' <see cref="FaultInjectingDevice.NextDueAt"/>.
/// Nothing sleeps; a simulated minute of a 200 ms path costs only the CPU time of its segments.
/// </summary>
internal sealed class Netsim : IDisposable
{
    // Polls at one instant without the clock moving; far beyond any burst the stacks can produce, so more means a livelock.
    private const int MaxStepsAtOneInstant = 1_000_000;

    private readonly FakeClock _clock = new() { Now = Instant.FromSeconds(1000) };

    public Netsim(LinkProfile profile, int seed)
    {
        // The cable itself never drops: the fault devices' queues are the bottleneck buffers.
        Link = new InMemoryLink(1500, queueLimitFrames: 1 << 20);
        var faults = profile.ToFaultOptions();
        var random = new Random(seed);
        DeviceA = new FaultInjectingDevice(Link.A, FaultOptions.None, faults, new Random(random.Next()), _clock.Read);
        DeviceB = new FaultInjectingDevice(Link.B, FaultOptions.None, faults, new Random(random.Next()), _clock.Read);
        A = StackHarness.Stack(DeviceA, Fixtures.MacA, StackHarness.Config(Fixtures.IpA), Now, seed * 2 + 1);
        B = StackHarness.Stack(DeviceB, Fixtures.MacB, StackHarness.Config(Fixtures.IpB), Now, seed * 2 + 2);
    }

    public InMemoryLink Link { get; }
    public FaultInjectingDevice DeviceA { get; }
    public FaultInjectingDevice DeviceB { get; }
    public NetStack A { get; }
    public NetStack B { get; }
    public Instant Now => _clock.Now;

    /// <summary>Loop iterations so far (each polls both stacks once).</summary>
    public long Steps { get; private set; }

    /// <summary>
    /// Runs until <paramref name="done"/> holds. <paramref name="applications"/> runs after each round of polls, like
    /// a poll hook in the server's loop. Fails when simulated time passes <paramref name="simulatedLimit"/>.
    /// </summary>
    public void RunUntil(Func<bool> done, Action<Instant> applications, TimeSpan simulatedLimit)
    {
        var deadline = Now + simulatedLimit;
        int stepsHere = 0;
        while (!done())
        {
            A.Poll(Now);
            B.Poll(Now);
            applications(Now);
            Steps++;

            var next = Instant.Min(Instant.Min(A.NextPollAt(Now), B.NextPollAt(Now)),
                Instant.Min(DeviceA.NextDueAt, DeviceB.NextDueAt));
            if (Link.A.Pending > 0 || Link.B.Pending > 0 || next <= Now)
            {
                if (++stepsHere > MaxStepsAtOneInstant)
                {
                    throw new InvalidOperationException($"livelock: {stepsHere} polls at {Now} without the clock moving; {Describe()}");
                }
                continue;
            }
            stepsHere = 0;
            if (next > deadline)
            {
                throw new TimeoutException($"not done after {simulatedLimit} of simulated time (next event at {next}); {Describe()}");
            }
            _clock.Now = next;
        }
    }

    /// <summary>
    /// Moves the clock on without polling, as a loop that stalls (a JIT compile, a GC pause) does: frames already on
    /// the link fall due and are delivered late, all at once, by the next poll.
    /// </summary>
    public void Stall(TimeSpan by) => _clock.Advance(by);

    /// <summary>What the run looked like, for failure messages and test output.</summary>
    public string Describe() =>
        $"t={Now}, steps={Steps}, A->B {DeviceA.TransmitCounters}, B->A {DeviceB.TransmitCounters}, " +
        $"A: {TcpSummary(A)}, B: {TcpSummary(B)}";

    private static string TcpSummary(NetStack s)
    {
        var c = s.Counters;
        return $"tcp in {c.TcpSegmentsReceived} out {c.TcpSegmentsSent} rto {c.TcpRetransmitsRto} fast {c.TcpRetransmitsFast} " +
               $"tlp {c.TcpRetransmitsTlp} ooo {c.TcpOutOfOrderSegments} dupacks {c.TcpDuplicateAcks} " +
               $"bad-checksum {c.Drops(DropReason.BadChecksum)} drops {c.TotalDrops}";
    }

    /// <summary>Wall-clock stopwatch for the test output (never asserted).</summary>
    public static Stopwatch Wall() => Stopwatch.StartNew();

    public void Dispose()
    {
        DeviceA.Dispose();
        DeviceB.Dispose();
    }
}
