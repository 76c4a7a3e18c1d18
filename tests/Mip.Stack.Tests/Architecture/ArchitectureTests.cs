using Mip.Stack.Iface;

namespace Mip.Stack.Tests.Architecture;

/// <summary>The dependency rule of STYLE.md: the stack core references the base class library and nothing else.</summary>
public sealed class ArchitectureTests
{
    [Fact]
    public void The_stack_core_references_only_the_base_class_library()
    {
        var references = typeof(NetStack).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        var foreign = references.Where(n => !(n.StartsWith("System", StringComparison.Ordinal) || n is "netstandard" or "mscorlib")).ToArray();
        Assert.True(foreign.Length == 0, $"Mip.Stack references {string.Join(", ", foreign)}");
        Assert.Contains("System.Runtime", references);
    }
}
