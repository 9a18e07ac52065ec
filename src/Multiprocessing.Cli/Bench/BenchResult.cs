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

    /// <summary>How many messages or operations the timed interval covered (the value of <see cref="CountKey"/>).</summary>
    public long Count { get; init; }

    /// <summary>The timed interval in seconds (for median cases such as process_start: the median, with Count 1).</summary>
    public double Seconds { get; init; }

    /// <summary>For example "msgs/s", "incr/s", "starts/s".</summary>
    public required string RateUnit { get; init; }

    /// <summary>Payload megabytes (10^6) per second, for byte-stream cases.</summary>
    public double? MbPerS { get; init; }

    /// <summary>Median latency in microseconds, for latency cases.</summary>
    public double? MedianUs { get; init; }

    /// <summary>Nearest-rank 99th percentile latency in microseconds, for latency cases.</summary>
    public double? P99Us { get; init; }

    /// <summary>Anything else worth printing (min_us, allocations per message, CPU used…).</summary>
    public Dictionary<string, object?> Extra { get; init; } = [];

    /// <summary>
    /// For --vs-python: the CPython results to compare with, when not the one of the same name (or its "_…" variants).
    /// Not printed in the JSON line.
    /// </summary>
    public IReadOnlyList<string>? CompareWith { get; init; }

    /// <summary><see cref="Count"/> / <see cref="Seconds"/>, 0 when nothing was timed.</summary>
    public double RatePerS => Seconds > 0 ? Count / Seconds : 0;
}
