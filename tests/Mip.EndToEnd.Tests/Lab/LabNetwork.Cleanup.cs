using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Mip.EndToEnd.Tests.Lab;

public sealed partial class LabNetwork
{
    /// <summary>Per-lab state lives here; a crashed run leaves its owner file behind for <see cref="CleanupStale"/>.</summary>
    public const string StateRoot = "/run/mipt";

    private const string NetnsDirectory = "/var/run/netns";

    /// <summary>A lab whose owner file is missing is only reaped after this long (it may be being built).</summary>
    private static readonly TimeSpan UnownedGrace = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Deletes <c>mipt-*</c> labs whose owning test process is gone (killed, crashed, timed out), with every
    /// process still running inside them. Labs of a live process (another test run in parallel) are left alone.
    /// Returns how many labs were removed.
    /// </summary>
    public static int CleanupStale()
    {
        if (!Directory.Exists(NetnsDirectory) && !Directory.Exists(StateRoot))
        {
            return 0;
        }
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var dir in new[] { NetnsDirectory, StateRoot })
        {
            if (!Directory.Exists(dir))
            {
                continue;
            }
            foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
            {
                var m = LabName().Match(Path.GetFileName(entry));
                if (m.Success)
                {
                    names.Add(m.Groups[1].Value);
                }
            }
        }
        int removed = 0;
        foreach (var name in names)
        {
            if (IsOwnerAlive(name))
            {
                continue;
            }
            Teardown(name);
            removed++;
        }
        return removed;
    }

    /// <summary>Kills everything inside the lab's namespaces and deletes them and the state directory. Idempotent.</summary>
    private static void Teardown(string name)
    {
        foreach (var ns in new[] { name, name + "-s" })
        {
            if (!File.Exists(Path.Combine(NetnsDirectory, ns)))
            {
                continue;
            }
            var pids = Execute("ip", ["netns", "pids", ns], CommandTimeout);
            foreach (var line in pids.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid != Environment.ProcessId)
                {
                    try
                    {
                        using var p = Process.GetProcessById(pid);
                        p.Kill(entireProcessTree: true);
                        p.WaitForExit(2000);
                    }
                    catch (ArgumentException)
                    {
                        // Exited meanwhile.
                    }
                    catch (InvalidOperationException)
                    {
                        // Exited meanwhile.
                    }
                }
            }
            // Deleting a namespace destroys its veth end, which destroys the peer too.
            _ = Execute("ip", ["netns", "del", ns], CommandTimeout);
        }
        string state = Path.Combine(StateRoot, name);
        if (Directory.Exists(state))
        {
            Directory.Delete(state, recursive: true);
        }
    }

    private static bool IsOwnerAlive(string name)
    {
        string ownerFile = Path.Combine(StateRoot, name, "owner");
        if (!File.Exists(ownerFile))
        {
            // Being built right now (the owner file is written just after the state directory appears) or left by a
            // run that died while building: only the age of whatever exists tells them apart.
            string[] parts0 = [Path.Combine(NetnsDirectory, name), Path.Combine(NetnsDirectory, name + "-s"), Path.Combine(StateRoot, name)];
            return parts0.Any(p => (File.Exists(p) || Directory.Exists(p)) && DateTime.UtcNow - File.GetLastWriteTimeUtc(p) < UnownedGrace);
        }
        var parts = File.ReadAllText(ownerFile).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long startTicks))
        {
            return false;
        }
        // The kernel's start time (in clock ticks since boot) tells a live owner from a recycled pid, exactly:
        // Process.StartTime is derived from the boot time each process estimates for itself, and two processes can
        // disagree by a few milliseconds, which once made parallel runs tear down each other's labs.
        return ProcessStartJiffies(pid) is { } start && start == startTicks;
    }

    /// <summary>Field 22 of /proc/PID/stat (starttime), or null when the process is gone.</summary>
    internal static long? ProcessStartJiffies(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        // The command name (field 2) may contain spaces and parentheses: fields after it start past the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out long start) ? start : null;
    }

    [GeneratedRegex("^(mipt-[0-9a-f]{6})(-s)?$")]
    private static partial Regex LabName();
}
