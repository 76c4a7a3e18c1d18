namespace Mip.Bench;

/// <summary>One direction of a pcap run: when its first byte moved and when it finished, on the bench's clock.</summary>
internal sealed class Transfer
{
    public BulkPeer? Peer { get; set; }
    public TimeSpan Started { get; private set; } = TimeSpan.MaxValue;
    public TimeSpan Ended { get; private set; } = TimeSpan.MaxValue;
    public bool Finished => Ended != TimeSpan.MaxValue;

    public void Observe(bool started, bool finished, TimeSpan now)
    {
        if (started && Started == TimeSpan.MaxValue)
        {
            Started = now;
        }
        if (finished && !Finished)
        {
            Ended = now;
        }
    }

    public double Gbps(long bytes) => Finished && Started != TimeSpan.MaxValue ? bytes * 8 / (Ended - Started).TotalSeconds / 1e9 : 0;

    public static TimeSpan First(Transfer a, Transfer b) => a.Started < b.Started ? a.Started : b.Started;

    public static TimeSpan Last(Transfer a, Transfer b) =>
        !a.Finished ? b.Ended : !b.Finished ? a.Ended : a.Ended > b.Ended ? a.Ended : b.Ended;
}
