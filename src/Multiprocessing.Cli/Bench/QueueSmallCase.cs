namespace Multiprocessing.Cli.Bench;

/// <summary>mp_bench.py's case_queue_small: 1 producer → 1 consumer, 200 000 small ints, then a sentinel.</summary>
internal sealed class QueueSmallCase : IBenchCase
{
    public string Name => "queue_small";

    public IReadOnlyList<string> ResultNames { get; } = ["queue_small"];

    public string? PythonCase => "queue_small";

    public IEnumerable<BenchResult> Run()
    {
        yield return QueueBench.RunSmall("queue_small", 1, 200_000);
    }
}
