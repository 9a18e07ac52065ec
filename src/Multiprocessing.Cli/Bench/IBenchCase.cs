namespace Multiprocessing.Cli.Bench;

/// <summary>
/// One benchmark case group, found by reflection (any non-abstract class in this assembly with a parameterless
/// constructor), so each feature adds its cases in a file of its own. Like a case function of
/// ../shared/bench/python/mp_bench.py, one group may emit several results (queue_bytes → queue_bytes_64k, _1m).
/// </summary>
internal interface IBenchCase
{
    /// <summary>The group's name, matched by the command line's name prefixes (for example "queue_bytes").</summary>
    string Name { get; }

    /// <summary>The names of the results it emits, for matching a prefix such as "queue_bytes_1m".</summary>
    IReadOnlyList<string> ResultNames { get; }

    /// <summary>The CPython counterpart in benchmarks/python/mp_counterpart.py that --vs-python runs, or null.</summary>
    string? PythonCase { get; }

    /// <summary>Runs the case; each result is printed as soon as it is yielded.</summary>
    IEnumerable<BenchResult> Run();
}
