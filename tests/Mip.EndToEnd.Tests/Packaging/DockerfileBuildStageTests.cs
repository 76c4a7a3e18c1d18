using System.Text.RegularExpressions;
using Mip.EndToEnd.Tests.Grpc;
using Mip.EndToEnd.Tests.Lab;

namespace Mip.EndToEnd.Tests.Packaging;

/// <summary>
/// The Dockerfile's build stage, run without a container engine (CI machines have none): a sandbox directory stands
/// for the image's filesystem, each COPY copies what the build context holds (this repository minus .dockerignore),
/// each RUN runs in the sandbox's WORKDIR with absolute paths rebased onto the sandbox. The published server must then
/// start as the runtime stage's ENTRYPOINT runs it. A COPY that misses a project or the protos fails here first.
/// </summary>
public sealed class DockerfileBuildStageTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    [Fact]
    public void The_build_stage_publishes_a_server_that_starts_and_asks_for_an_interface()
    {
        string root = MipServerProcess.RepositoryRoot;
        var ignore = DockerIgnore.Load(Path.Combine(root, ".dockerignore"));
        string sandbox = Directory.CreateTempSubdirectory("mip-docker-").FullName;
        try
        {
            string workdir = "/";
            var stage = BuildStage(File.ReadAllLines(Path.Combine(root, "Dockerfile")));
            Assert.Contains(stage, i => i.Instruction == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
            foreach (var (instruction, arguments) in stage)
            {
                switch (instruction)
                {
                    case "WORKDIR":
                        workdir = Path.Combine(workdir, arguments);
                        Directory.CreateDirectory(Rebase(sandbox, workdir));
                        break;
                    case "COPY":
                        string[] parts = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                        Assert.DoesNotContain(parts, p => p.StartsWith("--", StringComparison.Ordinal)); // no --from/--chown in the build stage
                        string destination = Rebase(sandbox, Path.Combine(workdir, parts[^1]));
                        foreach (string source in parts[..^1])
                        {
                            Copy(root, source, destination, ignore);
                        }
                        break;
                    case "RUN":
                        // "-o /app" and the like: absolute paths point into the image, i.e. into the sandbox.
                        string command = Regex.Replace(arguments, @"(?<=\s)/(?=\w)", sandbox + "/");
                        var run = Execute("bash", ["-c", $"cd '{Rebase(sandbox, workdir)}' && {command}"]);
                        Assert.True(run.Succeeded, $"RUN {arguments}\n{run.Stdout}\n{run.Stderr}");
                        break;
                    default:
                        Assert.Fail($"{instruction}: not an instruction this test knows how to run; teach it, or keep the build stage simple");
                        break;
                }
            }

            // The runtime stage: ENTRYPOINT ["dotnet", "mip-server.dll"] in the published folder. With no arguments it
            // must refuse to pick an interface, which proves the app and all its dependencies load.
            string published = Path.Combine(sandbox, "app", "mip-server.dll");
            Assert.True(File.Exists(published), $"the build stage published no {published}");
            var start = Execute("dotnet", [published]);
            Assert.Equal(2, start.ExitCode);
            Assert.Contains("no interface given", start.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(sandbox, recursive: true);
        }
    }

    private static CommandResult Execute(string file, string[] args) => LabNetwork.Execute(file, args, Timeout);

    /// <summary>The instructions between the first FROM (the build stage) and the next FROM, continuations joined.</summary>
    private static List<(string Instruction, string Arguments)> BuildStage(string[] lines)
    {
        var instructions = new List<(string, string)>();
        bool inStage = false;
        string pending = "";
        foreach (string raw in lines)
        {
            string line = raw.Trim();
            if (pending.Length == 0 && (line.Length == 0 || line.StartsWith('#')))
            {
                continue;
            }
            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }
            line = pending + line;
            pending = "";
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            string instruction = line[..space].ToUpperInvariant();
            if (instruction == "FROM")
            {
                if (inStage)
                {
                    break;
                }
                inStage = true;
                continue;
            }
            if (inStage)
            {
                instructions.Add((instruction, line[(space + 1)..].Trim()));
            }
        }
        return instructions;
    }

    private static string Rebase(string sandbox, string imagePath) => Path.Combine(sandbox, imagePath.TrimStart('/'));

    /// <summary>Docker's COPY: a file lands in a destination folder (trailing slash) or as it; a folder's contents are copied.</summary>
    private static void Copy(string root, string source, string destination, DockerIgnore ignore)
    {
        string path = Path.Combine(root, source.TrimEnd('/'));
        if (File.Exists(path))
        {
            Assert.False(ignore.Excludes(source), $"COPY {source}: excluded by .dockerignore");
            string target = destination.EndsWith('/') ? Path.Combine(destination, Path.GetFileName(path)) : destination;
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(path, target, overwrite: true);
            return;
        }
        Assert.True(Directory.Exists(path), $"COPY {source}: not in the build context");
        foreach (string file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (ignore.Excludes(relative))
            {
                continue;
            }
            string target = Path.Combine(destination, Path.GetRelativePath(path, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    /// <summary>The .dockerignore patterns this repository uses: a top-level name, or <c>**/name</c> at any depth.</summary>
    private sealed class DockerIgnore(List<string> topLevel, List<string> anyDepth)
    {
        public static DockerIgnore Load(string file)
        {
            var top = new List<string>();
            var any = new List<string>();
            foreach (string raw in File.ReadAllLines(file))
            {
                string line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#'))
                {
                    continue;
                }
                Assert.False(line.StartsWith('!') || line.Trim('*', '/').Contains('*', StringComparison.Ordinal),
                    $".dockerignore: '{line}' is a pattern this test cannot evaluate; teach it");
                if (line.StartsWith("**/", StringComparison.Ordinal))
                {
                    any.Add(line[3..].TrimEnd('/'));
                }
                else
                {
                    top.Add(line.TrimEnd('/'));
                }
            }
            return new DockerIgnore(top, any);
        }

        public bool Excludes(string relativePath)
        {
            string[] segments = relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
            return topLevel.Contains(segments[0]) || segments.Any(anyDepth.Contains);
        }
    }
}
