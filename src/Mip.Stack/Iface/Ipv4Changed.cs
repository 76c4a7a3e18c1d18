namespace Mip.Stack.Iface;

/// <summary>The interface's IPv4 configuration changed (null = unconfigured).</summary>
public sealed record Ipv4Changed(Instant At, Ipv4Config? Old, Ipv4Config? New) : StackEvent(At);
