namespace Multiprocessing.Cli.Bench;

/// <summary>
/// Our result beside one CPython result. Every ratio reads "times better than CPython": above 1 we are faster.
/// Rate cases compare throughput (ours / CPython); latency cases compare the median and the p99 (CPython / ours).
/// </summary>
/// <param name="Ours">Our figures.</param>
/// <param name="Python">CPython's figures for the counterpart result.</param>
internal sealed record BenchComparison(BenchFigures Ours, BenchFigures Python)
{
    /// <summary>Ours / CPython's rate; null when either is not positive.</summary>
    public double? RateRatio => Ratio(Ours.RatePerS, Python.RatePerS);

    /// <summary>CPython's median / ours, when both sides measured a median.</summary>
    public double? MedianRatio => Python.MedianUs is double p && Ours.MedianUs is double o ? Ratio(p, o) : null;

    /// <summary>CPython's p99 / ours, when both sides measured a p99.</summary>
    public double? P99Ratio => Python.P99Us is double p && Ours.P99Us is double o ? Ratio(p, o) : null;

    /// <summary>True when the case is about latency (both sides report a median), so the median ratio is the headline.</summary>
    public bool IsLatency => MedianRatio is not null;

    // Our results whose CPython counterpart has another name, for cases that do not set BenchResult.CompareWith:
    // a warm standby worker is what CPython's forkserver (and, cheaper still, fork) does.
    private static readonly Dictionary<string, string[]> Counterparts = new(StringComparer.Ordinal)
    {
        ["process_start_warm"] = ["process_start_forkserver", "process_start_fork"],
    };

    /// <summary>
    /// Pairs each of our results with its CPython counterparts: the names in its CompareWith (or the built-in table),
    /// else the CPython result of the same name, else every CPython result named ours + "_…" (our process_start
    /// beside process_start_fork and process_start_spawn). Our results without a counterpart are left out.
    /// </summary>
    internal static List<BenchComparison> Pair(IEnumerable<BenchFigures> ours, IReadOnlyCollection<BenchFigures> python)
    {
        ArgumentNullException.ThrowIfNull(ours);
        ArgumentNullException.ThrowIfNull(python);
        var pairs = new List<BenchComparison>();
        foreach (BenchFigures o in ours)
        {
            IReadOnlyList<string>? named = o.CompareWith ?? Counterparts.GetValueOrDefault(o.Name);
            if (named is not null)
            {
                pairs.AddRange(named.SelectMany(n => python.Where(p => p.Name == n)).Select(p => new BenchComparison(o, p)));
                continue;
            }

            List<BenchFigures> same = python.Where(p => p.Name == o.Name).ToList();
            if (same.Count == 0)
            {
                same = python.Where(p => p.Name.StartsWith(o.Name + "_", StringComparison.Ordinal)).ToList();
            }

            pairs.AddRange(same.Select(p => new BenchComparison(o, p)));
        }

        return pairs;
    }

    private static double? Ratio(double numerator, double denominator) =>
        numerator > 0 && denominator > 0 && double.IsFinite(numerator) && double.IsFinite(denominator)
            ? numerator / denominator
            : null;
}
