namespace Mip.Server.Hosting;

/// <summary>How the stack loop sleeps: until a frame arrives, <see cref="Wake"/> is called, or the timeout passes.</summary>
internal interface ILoopWaiter
{
    void Wait(TimeSpan timeout);

    /// <summary>Called from any thread to end a <see cref="Wait"/> early (a command was posted).</summary>
    void Wake();
}
