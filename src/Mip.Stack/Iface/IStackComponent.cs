namespace Mip.Stack.Iface;

/// <summary>A piece plugged into the stack's poll loop (the DHCP client, the DNS resolver): polled for its timers.</summary>
internal interface IStackComponent
{
    /// <summary>Runs timers that are due at <paramref name="now"/>.</summary>
    void Poll(Instant now);

    /// <summary>The earliest instant this component wants to be polled (<see cref="Instant.MaxValue"/> if none).</summary>
    Instant NextDeadline { get; }
}
