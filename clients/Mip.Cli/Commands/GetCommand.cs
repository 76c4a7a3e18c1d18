using System.CommandLine;
using System.Diagnostics;
using System.Globalization;

namespace Mip.Cli.Commands;

/// <summary><c>mipctl get URL</c>: an HTTP GET whose TCP connection is made by the stack, not by this machine.</summary>
internal static class GetCommand
{
    public static Command Build()
    {
        // System.CommandLine has no Uri parser: without this the argument never parses.
        var url = new Argument<Uri>("url")
        {
            Description = "http:// URL on the stack's network",
            CustomParser = result =>
            {
                string text = result.Tokens.Single().Value;
                if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
                {
                    return uri;
                }
                result.AddError($"'{text}' is not an absolute http:// URL");
                return null;
            },
        };
        var output = new Option<string?>("--output", "-o") { Description = "Write the body to this file instead of stdout" };
        var command = new Command("get", "HTTP GET through the stack (progress on stderr for large bodies)") { Arguments = { url }, Options = { output } };
        command.SetAction((parse, ct) => Cli.RunAsync(async () =>
        {
            using var client = Cli.Connect(parse);
            using var http = new HttpClient(client.CreateHttpHandler()) { Timeout = Timeout.InfiniteTimeSpan };
            using var response = await http.GetAsync(parse.GetValue(url), HttpCompletionOption.ResponseHeadersRead, ct);
            long? total = response.Content.Headers.ContentLength;
            Console.Error.WriteLine($"mipctl: {(int)response.StatusCode} {response.ReasonPhrase}{(total is { } t ? $", {t} bytes" : "")}");
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            string? path = parse.GetValue(output);
            await using var sink = path is null ? Console.OpenStandardOutput() : File.Create(path);
            var buffer = new byte[128 * 1024];
            long done = 0;
            var clock = Stopwatch.StartNew();
            var lastDraw = TimeSpan.Zero;
            bool showProgress = !Console.IsErrorRedirected && total is > 1 << 20;
            int n;
            while ((n = await body.ReadAsync(buffer, ct)) > 0)
            {
                await sink.WriteAsync(buffer.AsMemory(0, n), ct);
                done += n;
                if (showProgress && clock.Elapsed - lastDraw > TimeSpan.FromMilliseconds(200))
                {
                    lastDraw = clock.Elapsed;
                    DrawProgress(done, total!.Value, clock.Elapsed);
                }
            }
            if (showProgress)
            {
                DrawProgress(done, total!.Value, clock.Elapsed);
                Console.Error.WriteLine();
            }
            return response.IsSuccessStatusCode ? ExitCodes.Ok : ExitCodes.Error;
        }));
        return command;
    }

    private static void DrawProgress(long done, long total, TimeSpan elapsed)
    {
        const int width = 30;
        int filled = (int)(width * done / Math.Max(1, total));
        double mbps = done * 8 / Math.Max(elapsed.TotalSeconds, 1e-3) / 1e6;
        Console.Error.Write(string.Create(CultureInfo.InvariantCulture,
            $"\r[{new string('#', filled)}{new string('.', width - filled)}] {100.0 * done / total,5:F1}%  {done / 1048576.0:F1}/{total / 1048576.0:F1} MiB  {mbps:F0} Mbit/s"));
    }
}
