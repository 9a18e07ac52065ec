using Multiprocessing.Cli.Bench;

namespace Multiprocessing.Tests.Bench;

public sealed class SortedStatsTests
{
    [Fact]
    public void Percentiles_are_nearest_rank_as_in_mp_bench()
    {
        long[] sorted = [.. Enumerable.Range(1, 1000).Select(i => (long)i)];

        Assert.Equal(900, SortedStats.Percentile(sorted, 900));
        Assert.Equal(990, SortedStats.P99(sorted));
        Assert.Equal(999, SortedStats.Percentile(sorted, 999));
        Assert.Equal(1000, SortedStats.Percentile(sorted, 1000));
        Assert.Equal(500.5, SortedStats.Median(sorted));
    }

    [Fact]
    public void Percentiles_of_a_short_series_stay_in_range()
    {
        long[] one = [7];
        long[] three = [1, 2, 3];

        Assert.Equal(7, SortedStats.Percentile(one, 1));
        Assert.Equal(7, SortedStats.P99(one));
        Assert.Equal(3, SortedStats.P99(three));
        Assert.Equal(1, SortedStats.Percentile(three, 300));
        Assert.Equal(2, SortedStats.Percentile(three, 500));
    }

    [Fact]
    public void A_latency_result_carries_the_floor_and_the_co_located_waits()
    {
        long[] rtt = [.. Enumerable.Range(1, 100).Select(i => (long)i)];
        RoundTripTimes times = new(0.5, rtt, 1.0, 2.0, ColocatedWaits: 12);

        BenchResult r = PipeBench.Latency("pipe_pingpong", times, [], floor: (0.14, 0.21));

        Assert.Equal(0.14, r.Extra["floor_median_us"]);
        Assert.Equal(0.21, r.Extra["floor_p99_us"]);
        Assert.Equal(12, r.Extra["colocated_waits"]);
        Assert.True(r.Extra.ContainsKey("p90_us"));
        Assert.True(r.Extra.ContainsKey("p999_us"));
        Assert.False(PipeBench.Latency("socket_pingpong", times with { ColocatedWaits = null }, []).Extra.ContainsKey("colocated_waits"));
    }
}
