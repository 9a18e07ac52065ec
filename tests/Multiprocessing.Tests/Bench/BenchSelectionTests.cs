using Multiprocessing.Cli.Bench;

namespace Multiprocessing.Tests.Bench;

public sealed class BenchSelectionTests
{
    private static readonly List<IBenchCase> Cases = BenchCatalog.Sort(
    [
        new FakeCase("pool_map", "pool_map", "pool_map_chunksize1"),
        new FakeCase("queue_bytes", "queue_bytes_64k", "queue_bytes_1m"),
        new FakeCase("zzz_ours_only"),
        new FakeCase("pipe_pingpong"),
        new FakeCase("pipe_pingpong_contended"),
        new FakeCase("queue_small"),
        new FakeCase("process_start"),
    ]);

    [Fact]
    public void Cases_run_in_mp_bench_order_and_unknown_ones_last()
    {
        Assert.Equal(
            ["queue_small", "queue_bytes", "pipe_pingpong", "pipe_pingpong_contended", "process_start", "pool_map", "zzz_ours_only"],
            Cases.Select(c => c.Name));
    }

    [Fact]
    public void No_prefix_selects_everything_with_every_result()
    {
        var selected = BenchCatalog.Select(Cases, [], out List<string> unmatched);

        Assert.Empty(unmatched);
        Assert.Equal(Cases.Count, selected.Count);
        Assert.All(selected, s => Assert.True(s.Prints("anything")));
    }

    [Fact]
    public void A_prefix_selects_every_case_whose_name_starts_with_it()
    {
        var selected = BenchCatalog.Select(Cases, ["pipe", "pool_"], out List<string> unmatched);

        Assert.Empty(unmatched);
        Assert.Equal(["pipe_pingpong", "pipe_pingpong_contended", "pool_map"], selected.Select(s => s.Case.Name));
        Assert.True(selected[2].Prints("pool_map_chunksize1"));
    }

    [Fact]
    public void A_result_name_runs_its_case_and_prints_only_that_result()
    {
        var selected = BenchCatalog.Select(Cases, ["queue_bytes_1m"], out _);

        (IBenchCase c, Func<string, bool> prints) = Assert.Single(selected);
        Assert.Equal("queue_bytes", c.Name);
        Assert.True(prints("queue_bytes_1m"));
        Assert.False(prints("queue_bytes_64k"));
    }

    [Fact]
    public void A_prefix_that_matches_nothing_is_reported()
    {
        var selected = BenchCatalog.Select(Cases, ["queue_small", "nope"], out List<string> unmatched);

        Assert.Equal(["nope"], unmatched);
        Assert.Equal("queue_small", Assert.Single(selected).Case.Name);
    }

    [Fact]
    public void Options_parse_flags_and_prefixes_and_refuse_unknown_options()
    {
        BenchOptions o = Assert.IsType<BenchOptions>(BenchOptions.Parse(["--json", "queue", "--vs-python", "--wait-quiet", "pipe"], out string? error));

        Assert.Null(error);
        Assert.True(o.Json && o.VsPython && o.WaitQuiet && !o.List);
        Assert.Equal(["queue", "pipe"], o.Prefixes);
        Assert.Null(BenchOptions.Parse(["--jsn"], out error));
        Assert.Contains("--jsn", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_real_cases_have_unique_names_and_results()
    {
        List<IBenchCase> cases = BenchCatalog.Discover();

        Assert.Equal(cases.Count, cases.Select(c => c.Name).Distinct().Count());
        Assert.All(cases, c => Assert.NotEmpty(c.ResultNames));
        List<string> results = cases.SelectMany(c => c.ResultNames).ToList();
        Assert.Equal(results.Count, results.Distinct().Count());
    }
}
