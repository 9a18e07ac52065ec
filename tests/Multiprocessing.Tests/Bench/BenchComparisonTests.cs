using Multiprocessing.Cli.Bench;

namespace Multiprocessing.Tests.Bench;

public sealed class BenchComparisonTests
{
    [Fact]
    public void CompareWith_and_the_built_in_table_name_the_counterparts_explicitly()
    {
        BenchFigures[] ours =
        [
            Latency("process_start_warm", 900, null),
            Rate("queue_small_batched", 1) with { CompareWith = ["queue_small"] },
        ];
        BenchFigures[] python =
        [
            Rate("queue_small", 1),
            Latency("process_start_fork", 4000, null), Latency("process_start_spawn", 100_000, null),
            Latency("process_start_forkserver", 40_000, null),
        ];

        List<BenchComparison> pairs = BenchComparison.Pair(ours, python);

        Assert.Equal(
            [("process_start_warm", "process_start_forkserver"), ("process_start_warm", "process_start_fork"), ("queue_small_batched", "queue_small")],
            pairs.Select(p => (p.Ours.Name, p.Python.Name)));
    }

    private static BenchFigures Rate(string name, double rate) => new(name, rate, "msgs/s", null, null);

    private static BenchFigures Latency(string name, double median, double? p99) => new(name, 1e6 / median, "round_trips/s", median, p99);

    [Fact]
    public void A_rate_case_compares_throughput_ours_over_cpython()
    {
        var c = new BenchComparison(Rate("queue_small", 16_500_000), Rate("queue_small", 330_000));

        Assert.False(c.IsLatency);
        Assert.Equal(50, c.RateRatio!.Value, 9);
        Assert.Null(c.MedianRatio);
        Assert.Null(c.P99Ratio);
        Assert.Equal("50.0×", BenchTable.RatioText(c));
    }

    [Fact]
    public void A_latency_case_compares_median_and_p99_cpython_over_ours()
    {
        var c = new BenchComparison(Latency("pipe_pingpong", 0.25, 1), Latency("pipe_pingpong", 47, 62));

        Assert.True(c.IsLatency);
        Assert.Equal(188, c.MedianRatio!.Value, 9);
        Assert.Equal(62, c.P99Ratio!.Value, 9);
        Assert.Equal("median 188×, p99 62.0×", BenchTable.RatioText(c));
    }

    [Fact]
    public void A_latency_case_without_p99_gives_the_median_ratio_only()
    {
        var c = new BenchComparison(Latency("process_start", 4000, null), Latency("process_start_spawn", 100_000, null));

        Assert.Equal(25, c.MedianRatio!.Value, 9);
        Assert.Null(c.P99Ratio);
        Assert.Equal("median 25.0×", BenchTable.RatioText(c));
    }

    [Fact]
    public void Slower_than_cpython_gives_a_ratio_below_one_and_zero_gives_none()
    {
        Assert.Equal("0.50×", BenchTable.RatioText(new BenchComparison(Rate("pool_map", 1), Rate("pool_map", 2))));
        Assert.Null(new BenchComparison(Rate("pool_map", 0), Rate("pool_map", 2)).RateRatio);
        Assert.Equal("n/a", BenchTable.RatioText(new BenchComparison(Rate("pool_map", 1), Rate("pool_map", 0))));
    }

    [Fact]
    public void Results_pair_by_name_then_by_cpython_variants_and_unpaired_ones_are_left_out()
    {
        BenchFigures[] ours = [Rate("queue_small", 1), Latency("process_start", 4000, null), Rate("value_atomic_incr", 1)];
        BenchFigures[] python =
        [
            Rate("queue_small", 1), Rate("queue_small_4p", 1),
            Latency("process_start_fork", 4000, null), Latency("process_start_spawn", 100_000, null),
            Rate("value_lock_incr", 1),
        ];

        List<BenchComparison> pairs = BenchComparison.Pair(ours, python);

        Assert.Equal(
            [("queue_small", "queue_small"), ("process_start", "process_start_fork"), ("process_start", "process_start_spawn")],
            pairs.Select(p => (p.Ours.Name, p.Python.Name)));
    }
}
