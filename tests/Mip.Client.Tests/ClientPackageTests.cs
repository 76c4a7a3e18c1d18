using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;

namespace Mip.Client.Tests;

/// <summary>`dotnet pack` of the client library: the package a user installs carries the assembly and its XML docs.</summary>
public sealed class ClientPackageTests
{
    [Fact]
    public async Task Pack_produces_a_nupkg_with_the_assembly_its_xml_docs_and_only_the_grpc_runtime_dependencies()
    {
        var ct = TestContext.Current.CancellationToken;
        // tests/Mip.Client.Tests/bin/<Configuration>/<tfm>/: pack the build this test already depends on.
        var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = tfm.Parent!.Name;
        string project = Path.Combine(RepositoryRoot(), "clients", "Mip.Client");
        string output = Directory.CreateTempSubdirectory("mip-pack-").FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet")
            {
                ArgumentList = { "pack", project, "-c", configuration, "--no-build", "--no-restore", "-o", output },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var pack = Process.Start(start)!;
            var stdout = pack.StandardOutput.ReadToEndAsync(ct);
            var stderr = pack.StandardError.ReadToEndAsync(ct);
            await pack.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);
            Assert.True(pack.ExitCode == 0, $"dotnet pack: {await stdout}{await stderr}");

            string nupkg = Assert.Single(Directory.GetFiles(output, "Mip.Client.*.nupkg"));
            Assert.Matches(@"Mip\.Client\.\d+\.\d+\.\d+.*\.nupkg$", nupkg);
            using var zip = ZipFile.OpenRead(nupkg);
            var entries = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("lib/net10.0/Mip.Client.dll", entries);
            Assert.Contains("lib/net10.0/Mip.Client.xml", entries);
            Assert.Contains("README.md", entries);

            // The docs describe the wrapper a user calls, not only the generated code.
            XDocument docs;
            await using (var xml = zip.GetEntry("lib/net10.0/Mip.Client.xml")!.Open())
            {
                docs = await XDocument.LoadAsync(xml, LoadOptions.None, ct);
            }
            var members = docs.Descendants("member").Select(m => (string?)m.Attribute("name")).ToList();
            Assert.Contains(members, m => m is not null && m.StartsWith("M:Mip.Client.MipClient.ConnectAsync", StringComparison.Ordinal));
            Assert.Contains("T:Mip.Client.MipSocketException", members);

            XDocument nuspec;
            await using (var spec = zip.GetEntry("Mip.Client.nuspec")!.Open())
            {
                nuspec = await XDocument.LoadAsync(spec, LoadOptions.None, ct);
            }
            XNamespace ns = nuspec.Root!.Name.Namespace;
            Assert.Equal("Mip.Client", nuspec.Root.Element(ns + "metadata")!.Element(ns + "id")!.Value);
            var dependencies = nuspec.Descendants(ns + "dependency").Select(d => (string)d.Attribute("id")!).Order(StringComparer.Ordinal).ToList();
            // Grpc.Tools is build-time only; no project of the stack or the server leaks in.
            Assert.Equal(["Google.Protobuf", "Grpc.Net.Client", "Grpc.StatusProto"], dependencies);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
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
        throw new InvalidOperationException("MipGrpc.sln not found above " + AppContext.BaseDirectory);
    }
}
