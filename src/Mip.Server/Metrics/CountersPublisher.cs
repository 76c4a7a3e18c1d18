using Mip.Stack;
using Mip.Stack.Iface;
using Mip.Stack.Pcap;

namespace Mip.Server.Metrics;

/// <summary>
/// Runs on the loop thread after polls and, every <see cref="Period"/>, publishes a <see cref="CountersSnapshot"/>
/// that scrapes read with no lock and no access to the stack.
/// </summary>
internal sealed class CountersPublisher(PcapDevice? pcap)
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(250);

    private CountersSnapshot _latest = CountersSnapshot.Empty;
    private Instant _next;

    public CountersSnapshot Latest => Volatile.Read(ref _latest);

    public void Poll(NetStack stack, Instant now)
    {
        if (now < _next)
        {
            return;
        }
        _next = now + Period;
        Volatile.Write(ref _latest, CountersSnapshot.Capture(stack, pcap));
    }
}
