namespace Mip.Stack.Sockets.Tcp;

/// <summary>Which congestion controller a socket uses.</summary>
public enum CongestionAlgorithm : byte
{
    /// <summary>CUBIC (RFC 9438) with HyStart++ (RFC 9406): the default, as in Linux and gVisor.</summary>
    Cubic = 0,
    /// <summary>Reno congestion avoidance with NewReno fast recovery (RFC 5681, RFC 6582).</summary>
    NewReno = 1,
}
