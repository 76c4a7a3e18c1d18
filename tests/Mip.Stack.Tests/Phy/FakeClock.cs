namespace Mip.Stack.Tests.Phy;

/// <summary>Test time that moves only when told to.</summary>
internal sealed class FakeClock
{
    public Instant Now { get; set; }

    public Func<Instant> Read => () => Now;

    public void Advance(TimeSpan by) => Now += by;
}
