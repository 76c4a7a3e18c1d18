using Mip.Stack.Pcap;

namespace Mip.Server.Hosting;

/// <summary>
/// Sleeps in poll(2) on the pcap descriptor and an eventfd at once, so a frame reaches the stack with no thread hop
/// and a posted command wakes the loop immediately.
/// </summary>
internal sealed class PcapLoopWaiter(PcapDevice device) : ILoopWaiter, IDisposable
{
    private readonly EventFd _wake = new();

    public void Wait(TimeSpan timeout)
    {
        if ((device.Wait(PcapDevice.ToPollTimeout(timeout), _wake.Fd) & WaitResult.Wake) != 0)
        {
            _wake.Drain();
        }
    }

    public void Wake() => _wake.Signal();

    public void Dispose() => _wake.Dispose();
}
