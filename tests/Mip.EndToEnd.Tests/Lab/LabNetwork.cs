using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Mip.Stack.Wire;

namespace Mip.EndToEnd.Tests.Lab;

/// <summary>
/// A private veth lab for one test: namespace <see cref="KernelNamespace"/> (<c>mipt-xxxxxx</c>) holds my1 with
/// 192.168.2.1/24 and whatever servers the test starts; <see cref="StackNamespace"/> (<c>mipt-xxxxxx-s</c>) holds
/// my0, up, without addresses or IPv6, for the stack to open with a <c>PcapDevice</c>. Nothing touches the root
/// namespace's interfaces. <see cref="Dispose"/> kills every process and deletes both namespaces, also after a
/// failed <see cref="Create"/>; <see cref="CleanupStale"/> reaps what crashed runs left behind.
/// </summary>
public sealed partial class LabNetwork : IDisposable
{
    public const string NamePrefix = "mipt-";
    public const string StackInterface = "my0";
    public const string KernelInterface = "my1";
    public const int PrefixLength = 24;
    public static readonly Ipv4Address KernelAddress = new(192, 168, 2, 1);

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private readonly List<LabProcess> _processes = [];
    private bool _disposed;

    private LabNetwork(string name)
    {
        Name = name;
        StackNamespace = name + "-s";
        StateDirectory = Path.Combine(StateRoot, name);
    }

    /// <summary>The lab's name, also the kernel-side namespace.</summary>
    public string Name { get; }
    public string KernelNamespace => Name;
    public string StackNamespace { get; }

    /// <summary>Per-lab directory for configs, lease files and logs (under /run/mipt).</summary>
    public string StateDirectory { get; }

    /// <summary>my1's MAC address (the kernel peer the stack talks to).</summary>
    public MacAddress KernelMac { get; private set; }

    /// <summary>my0's own kernel MAC address; the stack uses a different one of its own.</summary>
    public MacAddress StackInterfaceMac { get; private set; }

    /// <summary>The background processes started so far.</summary>
    public IReadOnlyList<LabProcess> Processes => _processes;

    /// <summary>True when the process may create namespaces and capture (effective uid 0).</summary>
    public static bool CanRun => Environment.IsPrivilegedProcess;

    /// <summary>Skips the calling test with a clear reason unless it runs as root.</summary>
    public static void SkipUnlessRoot() =>
        Assert.SkipUnless(CanRun, "end-to-end tests create network namespaces and capture frames: run them as root (sudo ./run.sh test)");

    /// <summary>Creates a uniquely named lab. The veth is up on both sides, offloads off, my1 = 192.168.2.1/24.</summary>
    public static LabNetwork Create(bool assignKernelAddress = true)
    {
        SkipUnlessRoot();
        CleanupStale();
        var lab = new LabNetwork(NamePrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3)));
        try
        {
            lab.Build(assignKernelAddress);
            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    private void Build(bool assignKernelAddress)
    {
        Directory.CreateDirectory(StateDirectory);
        // Who owns this lab, so a concurrent run's CleanupStale leaves it alone while we live.
        File.WriteAllText(Path.Combine(StateDirectory, "owner"),
            string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {ProcessStartJiffies(Environment.ProcessId)}"));
        Ip("netns", "add", KernelNamespace);
        Ip("netns", "add", StackNamespace);
        // Both ends are created directly inside their namespaces, so no interface ever appears in the root one.
        Ip("link", "add", StackInterface, "netns", StackNamespace, "type", "veth", "peer", "name", KernelInterface, "netns", KernelNamespace);
        RunStack("sysctl", "-qw", $"net.ipv6.conf.{StackInterface}.disable_ipv6=1").EnsureSuccess();
        RunKernel("sysctl", "-qw", $"net.ipv6.conf.{KernelInterface}.disable_ipv6=1").EnsureSuccess();
        // Offloads off on both ends: otherwise the stack sees partial checksums and 64 KB GSO frames, and libpcap
        // sizes its ring slots for them (few slots per megabyte) instead of for the MTU.
        foreach (var (ns, dev) in new[] { (KernelNamespace, KernelInterface), (StackNamespace, StackInterface) })
        {
            Run(ns, "ethtool", "-K", dev, "rx", "off", "tx", "off", "sg", "off", "tso", "off", "gso", "off", "gro", "off").EnsureSuccess();
        }
        if (assignKernelAddress)
        {
            RunKernel("ip", "addr", "add", $"{KernelAddress}/{PrefixLength}", "dev", KernelInterface).EnsureSuccess();
        }
        RunKernel("ip", "link", "set", "lo", "up").EnsureSuccess();
        RunKernel("ip", "link", "set", KernelInterface, "up").EnsureSuccess();
        RunStack("ip", "link", "set", StackInterface, "up").EnsureSuccess();
        KernelMac = ReadMac(KernelNamespace, KernelInterface);
        StackInterfaceMac = ReadMac(StackNamespace, StackInterface);
    }

    /// <summary>Runs a command inside <paramref name="namespaceName"/> (ip netns exec) and captures its output.</summary>
    public CommandResult Run(string namespaceName, params string[] command) =>
        Execute("ip", ["netns", "exec", namespaceName, .. command], CommandTimeout);

    public CommandResult RunKernel(params string[] command) => Run(KernelNamespace, command);

    public CommandResult RunStack(params string[] command) => Run(StackNamespace, command);

    /// <summary>Starts a background process inside <paramref name="namespaceName"/>; it is killed on dispose.</summary>
    public LabProcess Start(string namespaceName, string name, params string[] command)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var start = NewStartInfo("ip", ["netns", "exec", namespaceName, .. command]);
        var process = new LabProcess(name, string.Join(' ', command), start);
        _processes.Add(process);
        return process;
    }

    /// <summary>Sets my1 (the kernel side) administratively up or down; my0 then gains or loses carrier.</summary>
    public void SetKernelLinkUp(bool up) =>
        RunKernel("ip", "link", "set", KernelInterface, up ? "up" : "down").EnsureSuccess();

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (var process in _processes)
        {
            process.Dispose();
        }
        _processes.Clear();
        Teardown(Name);
    }

    public override string ToString() => $"{KernelNamespace} ({KernelInterface}) <-> {StackNamespace} ({StackInterface})";

    private static void Ip(params string[] args) => Execute("ip", args, CommandTimeout).EnsureSuccess();

    private MacAddress ReadMac(string ns, string dev)
    {
        // "link/ether aa:bb:cc:dd:ee:ff brd ..." from `ip -o link show`.
        string text = Run(ns, "ip", "-o", "link", "show", dev).EnsureSuccess().Stdout;
        int at = text.IndexOf("link/ether ", StringComparison.Ordinal);
        return at >= 0 ? MacAddress.Parse(text.Substring(at + 11, 17)) : throw new InvalidOperationException($"no MAC in: {text}");
    }

    internal static CommandResult Execute(string file, IReadOnlyList<string> args, TimeSpan timeout, string? stdinFile = null)
    {
        using var process = new Process { StartInfo = NewStartInfo(file, args) };
        process.StartInfo.RedirectStandardInput = stdinFile is not null;
        process.Start();
        if (stdinFile is not null)
        {
            process.StandardInput.Write(File.ReadAllText(stdinFile));
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        string commandLine = $"{file} {string.Join(' ', args)}";
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new CommandResult(commandLine, -1, stdout.Result, $"timed out after {timeout.TotalSeconds} s\n{stderr.Result}");
        }
        process.WaitForExit();
        return new CommandResult(commandLine, process.ExitCode, stdout.Result, stderr.Result);
    }

    private static ProcessStartInfo NewStartInfo(string file, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        return start;
    }
}
