namespace Mip.Client;

/// <summary>How to reach a MipGrpc server.</summary>
public sealed class MipClientOptions
{
    /// <summary>Bearer token the server requires (its --token), or null when it has none.</summary>
    public string? Token { get; init; }

    /// <summary>Largest message accepted from the server (default 4 MiB; data messages are at most 1 MiB).</summary>
    public int MaxReceiveMessageBytes { get; init; } = 4 * 1024 * 1024;
}
