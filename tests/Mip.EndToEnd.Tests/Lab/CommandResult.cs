namespace Mip.EndToEnd.Tests.Lab;

/// <summary>What a command printed and how it exited.</summary>
public sealed record CommandResult(string CommandLine, int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Throws with the command line and both outputs when the exit code is not 0.</summary>
    public CommandResult EnsureSuccess() => Succeeded
        ? this
        : throw new InvalidOperationException($"'{CommandLine}' exited {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}");
}
