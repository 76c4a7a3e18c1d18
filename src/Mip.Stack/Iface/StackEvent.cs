namespace Mip.Stack.Iface;

/// <summary>Something the host may want to tell its users about. Drained with <c>NetStack.TryDequeueEvent</c>.</summary>
public abstract record StackEvent(Instant At);
