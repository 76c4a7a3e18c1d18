using System.Globalization;

namespace Mip.EndToEnd.Tests;

/// <summary>
/// Figures measured by end-to-end tests (never asserted as timings): written to the test's output and appended to
/// artifacts/figures.txt, which scripts/test.sh prints at the end of a run.
/// </summary>
internal static class Measurements
{
    private static readonly Lock Gate = new();

    public static void Report(string what, FormattableString figure)
    {
        string line = $"{what}: {figure.ToString(CultureInfo.InvariantCulture)}";
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        lock (Gate)
        {
            string dir = Path.Combine(RepositoryRoot(), "artifacts");
            Directory.CreateDirectory(dir);
            File.AppendAllText(Path.Combine(dir, "figures.txt"), line + Environment.NewLine);
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MipGrpc.sln")))
            {
                return dir.FullName;
            }
        }
        return Path.GetTempPath();
    }
}
