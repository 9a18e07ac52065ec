namespace Multiprocessing.Cli.Bench;

/// <summary>
/// Ours only: value_lock_incr with the lock-free <see cref="SharedValue{T}.Increment"/> instead of the lock
/// (2 processes × 200 000). CPython has no lock-free counterpart; compare with our own value_lock_incr.
/// </summary>
internal sealed class ValueAtomicIncrCase : IBenchCase
{
    public string Name => "value_atomic_incr";

    public IReadOnlyList<string> ResultNames => ["value_atomic_incr"];

    public string? PythonCase => null;

    public IEnumerable<BenchResult> Run()
    {
        yield return ValueLockIncrCase.Measure("value_atomic_incr", 2, locked: false);
    }
}
