namespace Mip.Server.Hosting;

/// <summary>A configuration error the user can fix; the message says how.</summary>
public sealed class OptionsException(string message) : Exception(message);
