using System.Globalization;
using System.Text;

namespace Mip.Stack.Tests.Netsim;

/// <summary>
/// Goodput (Mbit/s) by loss rate (rows) and round-trip time (columns), as text that is stable across runs of the same
/// code: the snapshot file format, its parser, and the comparison that decides what counts as a regression.
/// </summary>
internal sealed class ThroughputMatrix
{
    public ThroughputMatrix(IReadOnlyList<double> lossRates, IReadOnlyList<int> rttMilliseconds)
    {
        LossRates = lossRates;
        RttMilliseconds = rttMilliseconds;
        Mbps = new double[lossRates.Count, rttMilliseconds.Count];
    }

    public IReadOnlyList<double> LossRates { get; }
    public IReadOnlyList<int> RttMilliseconds { get; }
    public double[,] Mbps { get; }

    public string Format(string header)
    {
        var text = new StringBuilder();
        foreach (var line in header.Split('\n'))
        {
            text.Append("# ").Append(line).Append('\n');
        }
        text.Append("loss".PadRight(8));
        foreach (int rtt in RttMilliseconds)
        {
            text.Append($"rtt={rtt}ms".PadLeft(12));
        }
        text.Append('\n');
        for (int r = 0; r < LossRates.Count; r++)
        {
            text.Append(Invariant($"{LossRates[r] * 100:0.##}%").PadRight(8));
            for (int c = 0; c < RttMilliseconds.Count; c++)
            {
                text.Append(Invariant($"{Mbps[r, c]:F2}").PadLeft(12));
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Reads what <see cref="Format"/> wrote; comment lines start with '#'.</summary>
    public static ThroughputMatrix Parse(string text)
    {
        var rows = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith('#')).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var rtts = rows[0].Skip(1).Select(h => int.Parse(h["rtt=".Length..^"ms".Length], CultureInfo.InvariantCulture)).ToList();
        var losses = rows.Skip(1).Select(r => double.Parse(r[0].TrimEnd('%'), CultureInfo.InvariantCulture) / 100).ToList();
        var matrix = new ThroughputMatrix(losses, rtts);
        for (int r = 0; r < losses.Count; r++)
        {
            for (int c = 0; c < rtts.Count; c++)
            {
                matrix.Mbps[r, c] = double.Parse(rows[r + 1][c + 1], CultureInfo.InvariantCulture);
            }
        }
        return matrix;
    }

    /// <summary>
    /// Cells of this (fresh) matrix that fell more than <paramref name="tolerance"/> (a fraction) below
    /// <paramref name="snapshot"/>, one line each; empty when none did. Shapes must match.
    /// </summary>
    public List<string> RegressionsAgainst(ThroughputMatrix snapshot, double tolerance, out List<string> improvements)
    {
        var regressions = new List<string>();
        improvements = [];
        if (!snapshot.LossRates.SequenceEqual(LossRates) || !snapshot.RttMilliseconds.SequenceEqual(RttMilliseconds))
        {
            regressions.Add("the snapshot has different rows or columns; regenerate it with MIP_UPDATE_SNAPSHOTS=1");
            return regressions;
        }
        for (int r = 0; r < LossRates.Count; r++)
        {
            for (int c = 0; c < RttMilliseconds.Count; c++)
            {
                double was = snapshot.Mbps[r, c], now = Mbps[r, c];
                string cell = Invariant($"loss {LossRates[r] * 100:0.##}% rtt {RttMilliseconds[c]} ms: {was:F2} -> {now:F2} Mbit/s ({(now - was) / was * 100:+0.0;-0.0}%)");
                if (now < was * (1 - tolerance))
                {
                    regressions.Add(cell);
                }
                else if (now > was * (1 + tolerance))
                {
                    improvements.Add(cell);
                }
            }
        }
        return regressions;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
