using System.Globalization;
using System.Text;

namespace Multiprocessing.Cli.Bench;

/// <summary>The human-readable output: a results table printed row by row, and the ours-vs-CPython table.</summary>
internal static class BenchTable
{
    private static readonly CompositeFormat RowFormat =
        CompositeFormat.Parse("{0,-36} {1,11} {2,10} {3,15} {4,-14} {5,9} {6,11} {7,11} {8,9}");

    private static readonly CompositeFormat ComparisonFormat = CompositeFormat.Parse("{0,-26} {1,-26} {2,-32} {3,-32} {4}");

    /// <summary>The header of the results table.</summary>
    internal static string Header =>
        string.Format(CultureInfo.InvariantCulture, RowFormat,
            "case", "n", "seconds", "rate/s", "unit", "MB/s", "median µs", "p99 µs", "foreign s");

    /// <summary>One row of the results table.</summary>
    internal static string Row(string name, long? count, double? seconds, BenchFigures figures, double? mbPerS, double? foreignCpuS)
    {
        ArgumentNullException.ThrowIfNull(figures);
        return string.Format(CultureInfo.InvariantCulture, RowFormat,
            name,
            count?.ToString("N0", CultureInfo.InvariantCulture) ?? "",
            seconds?.ToString("0.0000", CultureInfo.InvariantCulture) ?? "",
            Rate(figures.RatePerS), figures.RateUnit,
            mbPerS?.ToString("N0", CultureInfo.InvariantCulture) ?? "",
            Micros(figures.MedianUs), Micros(figures.P99Us),
            foreignCpuS?.ToString("0.00", CultureInfo.InvariantCulture) ?? "");
    }

    /// <summary>One row of the results table for our result.</summary>
    internal static string Row(BenchResult r, double? foreignCpuS)
    {
        ArgumentNullException.ThrowIfNull(r);
        return Row(r.Name, r.Count, r.Seconds, BenchFigures.From(r), r.MbPerS, foreignCpuS);
    }

    /// <summary>The header of the ours-vs-CPython table.</summary>
    internal static string ComparisonHeader =>
        string.Format(CultureInfo.InvariantCulture, ComparisonFormat, "case", "CPython case", "ours", "CPython", "ratio (>1: ours faster)");

    /// <summary>One row of the ours-vs-CPython table.</summary>
    internal static string Row(BenchComparison c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return string.Format(CultureInfo.InvariantCulture, ComparisonFormat,
            c.Ours.Name, c.Python.Name, Figures(c.Ours, c.IsLatency), Figures(c.Python, c.IsLatency), RatioText(c));
    }

    /// <summary>A row of the ours-vs-CPython table for a result that has no CPython counterpart (or whose counterpart failed).</summary>
    internal static string Unpaired(BenchFigures ours)
    {
        ArgumentNullException.ThrowIfNull(ours);
        bool latency = ours.MedianUs is not null;
        return string.Format(CultureInfo.InvariantCulture, ComparisonFormat, ours.Name, "—", Figures(ours, latency), "—", "no CPython result");
    }

    /// <summary>"50.1×" for a rate case; "median 151×, p99 52×" for a latency case; "n/a" when not measurable.</summary>
    internal static string RatioText(BenchComparison c)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (c.IsLatency)
        {
            string text = "median " + Times(c.MedianRatio);
            return c.P99Ratio is null ? text : text + ", p99 " + Times(c.P99Ratio);
        }

        return Times(c.RateRatio);
    }

    /// <summary>A ratio as "12.3×" (three significant digits), or "n/a".</summary>
    internal static string Times(double? ratio) => ratio switch
    {
        null => "n/a",
        >= 100 => ratio.Value.ToString("N0", CultureInfo.InvariantCulture) + "×",
        >= 10 => ratio.Value.ToString("0.0", CultureInfo.InvariantCulture) + "×",
        _ => ratio.Value.ToString("0.00", CultureInfo.InvariantCulture) + "×",
    };

    private static string Figures(BenchFigures f, bool latency)
    {
        if (latency)
        {
            string text = "median " + Micros(f.MedianUs) + " µs";
            return f.P99Us is null ? text : text + ", p99 " + Micros(f.P99Us) + " µs";
        }

        return Rate(f.RatePerS) + " " + f.RateUnit;
    }

    private static string Rate(double rate) =>
        rate.ToString(rate >= 1000 ? "N0" : "0.0", CultureInfo.InvariantCulture);

    private static string Micros(double? us) => us switch
    {
        null => "",
        < 10 => us.Value.ToString("0.00", CultureInfo.InvariantCulture),
        < 1000 => us.Value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => us.Value.ToString("N0", CultureInfo.InvariantCulture),
    };
}
