using System.Text.Json;
using Multiprocessing.Cli.Bench;

namespace Multiprocessing.Tests.Bench;

public sealed class BenchJsonTests
{
    [Fact]
    public void A_result_line_has_mp_bench_fields_in_mp_bench_order()
    {
        var result = new BenchResult
        {
            Name = "pipe_pingpong",
            Params = new() { ["payload"] = "int", ["warmup"] = 2000, ["duplex"] = true },
            CountKey = "messages",
            Count = 50_000,
            Seconds = 0.123456789,
            RateUnit = "round_trips/s",
            MedianUs = 0.31234,
            P99Us = 1.5,
            Extra = new() { ["min_us"] = 0.2 },
        };

        string line = BenchJson.Format(result, foreignCpuS: 0.014);

        Assert.DoesNotContain('\n', line);
        using JsonDocument doc = JsonDocument.Parse(line);
        string[] keys = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(
            ["name", "params", "messages", "seconds", "rate_per_s", "rate_unit", "median_us", "p99_us", "min_us", "foreign_cpu_s"],
            keys);
        JsonElement root = doc.RootElement;
        Assert.Equal("pipe_pingpong", root.GetProperty("name").GetString());
        Assert.Equal(2000, root.GetProperty("params").GetProperty("warmup").GetInt32());
        Assert.True(root.GetProperty("params").GetProperty("duplex").GetBoolean());
        Assert.Equal(50_000, root.GetProperty("messages").GetInt64());
        Assert.Equal(0.123457, root.GetProperty("seconds").GetDouble());
        Assert.Equal(Math.Round(50_000 / 0.123456789, 1), root.GetProperty("rate_per_s").GetDouble());
        Assert.Equal("round_trips/s", root.GetProperty("rate_unit").GetString());
        Assert.Equal(0.312, root.GetProperty("median_us").GetDouble());
        Assert.Equal(0.01, root.GetProperty("foreign_cpu_s").GetDouble());
    }

    [Fact]
    public void Ops_cases_use_the_ops_key_and_optional_fields_are_left_out()
    {
        var result = new BenchResult { Name = "value_lock_incr", CountKey = "ops", Count = 400_000, Seconds = 0.5, RateUnit = "incr/s" };

        using JsonDocument doc = JsonDocument.Parse(BenchJson.Format(result, foreignCpuS: null));

        JsonElement root = doc.RootElement;
        Assert.Equal(400_000, root.GetProperty("ops").GetInt64());
        Assert.Equal(800_000, root.GetProperty("rate_per_s").GetDouble());
        Assert.False(root.TryGetProperty("messages", out _));
        Assert.False(root.TryGetProperty("median_us", out _));
        Assert.False(root.TryGetProperty("mb_per_s", out _));
        Assert.False(root.TryGetProperty("foreign_cpu_s", out _));
    }

    [Fact]
    public void Mb_per_s_is_written_and_non_finite_numbers_become_null()
    {
        var result = new BenchResult
        {
            Name = "queue_bytes_1m",
            Count = 2000,
            Seconds = 0,
            RateUnit = "msgs/s",
            MbPerS = 12_345.678,
            Extra = new() { ["bytes"] = 2000L * 1024 * 1024, ["ratio"] = double.NaN, ["nothing"] = null },
        };

        using JsonDocument doc = JsonDocument.Parse(BenchJson.Format(result, null));

        JsonElement root = doc.RootElement;
        Assert.Equal(12_345.7, root.GetProperty("mb_per_s").GetDouble());
        Assert.Equal(0, root.GetProperty("rate_per_s").GetDouble());
        Assert.Equal(2000L * 1024 * 1024, root.GetProperty("bytes").GetInt64());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("ratio").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("nothing").ValueKind);
    }

    [Fact]
    public void A_failing_case_prints_name_and_error_only()
    {
        string line = BenchJson.FormatError("queue_small", new TimeoutException("no consumer"));

        using JsonDocument doc = JsonDocument.Parse(line);
        Assert.Equal(["name", "error"], doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("TimeoutException: no consumer", doc.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public void A_comparison_line_names_both_sides_and_gives_the_ratios()
    {
        var c = new BenchComparison(
            new BenchFigures("pipe_pingpong", 1_000_000, "round_trips/s", 0.5, 2),
            new BenchFigures("pipe_pingpong", 20_000, "round_trips/s", 47, 62));

        using JsonDocument doc = JsonDocument.Parse(BenchJson.Format(c));

        JsonElement root = doc.RootElement;
        Assert.Equal("pipe_pingpong", root.GetProperty("name").GetString());
        Assert.Equal("cpython:pipe_pingpong", root.GetProperty("vs").GetString());
        Assert.Equal(50, root.GetProperty("rate_ratio").GetDouble());
        Assert.Equal(94, root.GetProperty("median_ratio").GetDouble());
        Assert.Equal(31, root.GetProperty("p99_ratio").GetDouble());
    }

    [Fact]
    public void A_cpython_line_is_read_back_and_marked()
    {
        const string text = """{"name": "queue_small", "params": {"producers": 1}, "messages": 200000, "seconds": 0.6, "rate_per_s": 333333.3, "rate_unit": "msgs/s", "foreign_cpu_s": 0.01}""";

        System.Text.Json.Nodes.JsonObject line = Assert.IsType<System.Text.Json.Nodes.JsonObject>(PythonCounterpart.Parse(text));
        BenchFigures f = Assert.IsType<BenchFigures>(BenchFigures.From(line));

        Assert.Equal(new BenchFigures("queue_small", 333333.3, "msgs/s", null, null), f);
        Assert.Contains("\"impl\":\"cpython\"", BenchJson.FormatForeign(line, "cpython"), StringComparison.Ordinal);
        Assert.Null(PythonCounterpart.Parse("wait_quiet: still busy"));
        Assert.Null(PythonCounterpart.Parse("{not json"));
        Assert.Null(BenchFigures.From(PythonCounterpart.Parse("""{"name": "pool_map", "error": "RuntimeError: x"}""")!));
    }
}
