namespace Mip.Stack.Iface;

/// <summary>The link gained or lost carrier.</summary>
public sealed record LinkChanged(Instant At, bool Up) : StackEvent(At);
