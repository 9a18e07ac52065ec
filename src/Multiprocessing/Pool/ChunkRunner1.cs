namespace Multiprocessing.Pool;

/// <summary>Binds a 1-argument function.</summary>
internal sealed class ChunkRunner1<T1, TResult>(Func<T1, TResult> function) : ChunkRunner<T1, TResult>
{
    protected override TResult Invoke(in T1 args) => function(args);
}
