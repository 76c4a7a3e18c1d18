namespace Mip.Cli;

/// <summary>What mipctl's exit status means, so scripts can tell failures apart.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>Anything not listed below.</summary>
    public const int Error = 1;
    /// <summary>Bad command line or argument (the server said InvalidArgument too).</summary>
    public const int Usage = 2;
    /// <summary>The server could not be reached, or went away (it is shutting down).</summary>
    public const int ServerUnavailable = 3;
    /// <summary>Missing or wrong token.</summary>
    public const int Unauthenticated = 4;
    /// <summary>A network error on the stack's side: refused, reset, timed out, unreachable.</summary>
    public const int NetworkError = 5;
    /// <summary>A name or socket that does not exist.</summary>
    public const int NotFound = 6;
    /// <summary>Ping: some requests got no reply.</summary>
    public const int PacketLoss = 7;
}
