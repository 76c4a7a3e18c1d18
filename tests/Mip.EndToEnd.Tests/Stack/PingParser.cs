using System.Globalization;
using System.Text.RegularExpressions;

namespace Mip.EndToEnd.Tests.Stack;

/// <summary>Reads the summary lines of iputils ping.</summary>
internal static partial class PingParser
{
    public static (int Sent, int Received, double AvgMs, double MaxMs) Summary(string output)
    {
        var counts = Counts().Match(output);
        var rtt = Rtt().Match(output);
        Assert.True(counts.Success, $"no ping summary in: {output}");
        return (int.Parse(counts.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(counts.Groups[2].Value, CultureInfo.InvariantCulture),
            rtt.Success ? double.Parse(rtt.Groups[2].Value, CultureInfo.InvariantCulture) : double.NaN,
            rtt.Success ? double.Parse(rtt.Groups[3].Value, CultureInfo.InvariantCulture) : double.NaN);
    }

    [GeneratedRegex(@"(\d+) packets transmitted, (\d+) received")]
    private static partial Regex Counts();

    [GeneratedRegex(@"= ([\d.]+)/([\d.]+)/([\d.]+)/")]
    private static partial Regex Rtt();
}
