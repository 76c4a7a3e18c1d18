namespace Mip.Stack.Wire;

/// <summary>The Timestamps option's two values (RFC 7323 §3.2): the sender's clock and the echoed peer clock.</summary>
public readonly record struct TcpTimestamp(uint TsVal, uint TsEcr);
