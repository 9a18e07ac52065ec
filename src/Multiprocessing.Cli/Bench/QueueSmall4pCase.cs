namespace Multiprocessing.Cli.Bench;

/// <summary>mp_bench.py's case_queue_small_4p: 2 producers → 2 consumers, 100 000 small ints each.</summary>
internal sealed class QueueSmall4pCase : IBenchCase
{
    public string Name => "queue_small_4p";

    public IReadOnlyList<string> ResultNames { get; } = ["queue_small_4p"];

    public string? PythonCase => "queue_small_4p";

    public IEnumerable<BenchResult> Run()
    {
        yield return QueueBench.RunSmall("queue_small_4p", 2, 100_000);
    }
}
