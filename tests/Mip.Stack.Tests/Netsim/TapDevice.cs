using Mip.Stack.Phy;

namespace Mip.Stack.Tests.Netsim;

/// <summary>
/// What a stack sees of its cable in a simulation: frames come through a <see cref="FaultInjectingDevice"/> once
/// <see cref="FaultsOn"/> (before that, straight from the link, so a test can warm ARP caches on a clean wire).
/// Every frame transmitted and every frame delivered is recorded, so a test can tell which delivered frames were
/// mutated on the way.
/// </summary>
internal sealed class TapDevice : INetworkDevice, IDisposable
{
    private readonly InMemoryLink.End _end;
    private readonly FrameHandler _record;
    private FrameHandler? _handler;

    public TapDevice(InMemoryLink.End end, FaultOptions receiveFaults, Random random, Func<Instant> clock)
    {
        _end = end;
        // Faults on the receive side only, so each frame crosses one fault pipeline on its way.
        Faults = new FaultInjectingDevice(end, receiveFaults, FaultOptions.None, random, clock);
        _record = Record;
    }

    public FaultInjectingDevice Faults { get; }

    public bool FaultsOn { get; set; }

    public List<byte[]> Transmitted { get; } = [];

    public List<byte[]> Delivered { get; } = [];

    public int Mtu => _end.Mtu;

    public bool IsLinkUp => _end.IsLinkUp;

    public int Receive(FrameHandler handler, int maxFrames)
    {
        _handler = handler;
        try
        {
            return FaultsOn ? Faults.Receive(_record, maxFrames) : _end.Receive(_record, maxFrames);
        }
        finally
        {
            _handler = null;
        }
    }

    public bool Transmit(ReadOnlySpan<byte> frame)
    {
        Transmitted.Add(frame.ToArray());
        return _end.Transmit(frame);
    }

    public void Dispose() => Faults.Dispose();

    private void Record(ReadOnlySpan<byte> frame)
    {
        Delivered.Add(frame.ToArray());
        _handler!(frame);
    }
}
