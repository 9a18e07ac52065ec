namespace Multiprocessing.Cli.Bench;

/// <summary>One result line, with the field names of mp_bench.py.</summary>
internal sealed class BenchResult
{
    /// <summary>The case name, as in mp_bench.py where the case exists there.</summary>
    public required string Name { get; init; }

    /// <summary>What was run (sizes, process counts): the "params" object.</summary>
    public Dictionary<string, object?> Params { get; init; } = [];

    /// <summary>"messages" or "ops", as mp_bench.py uses for this case.</summary>
    public string CountKey { get; init; } = "messages";

    public long Count { get; init; }

    public double Seconds { get; init; }

    /// <summary>For example "msgs/s", "incr/s", "starts/s".</summary>
    public required string RateUnit { get; init; }

    public double? MbPerS { get; init; }

    public double? MedianUs { get; init; }

    public double? P99Us { get; init; }

    /// <summary>Anything else worth printing (min_us, allocations per message, CPU used…).</summary>
    public Dictionary<string, object?> Extra { get; init; } = [];

    public double RatePerS => Seconds > 0 ? Count / Seconds : 0;
}
