namespace Multiprocessing.Cli.Bench;

/// <summary>Median and percentile of samples already sorted ascending, as mp_bench.py computes them.</summary>
internal static class SortedStats
{
    /// <summary>The middle value, or the mean of the two middle values for an even count.</summary>
    internal static double Median(ReadOnlySpan<long> sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2.0;

    /// <inheritdoc cref="Median(ReadOnlySpan{long})"/>
    internal static double Median(ReadOnlySpan<double> sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2.0;

    /// <summary>The 99th percentile: the element at ceil(0.99 n) − 1.</summary>
    internal static long P99(ReadOnlySpan<long> sorted) => Percentile(sorted, 990);

    /// <summary>The nearest-rank percentile in tenths of a percent (990: p99): the element at ceil(q n / 1000) − 1.</summary>
    internal static long Percentile(ReadOnlySpan<long> sorted, int permille) =>
        sorted[(int)Math.Max(0, ((((long)permille * sorted.Length) + 999) / 1000) - 1)];
}
