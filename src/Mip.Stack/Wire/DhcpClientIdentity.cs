namespace Mip.Stack.Wire;

/// <summary>What a client says about itself in every message: its MAC, optional host name, max message size.</summary>
internal readonly record struct DhcpClientIdentity(MacAddress Mac, string? HostName, ushort MaximumMessageSize);
