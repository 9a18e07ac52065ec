namespace Multiprocessing.Pool;

/// <summary>Binds a 2-argument function.</summary>
internal sealed class ChunkRunner2<T1, T2, TResult>(Func<T1, T2, TResult> function) : ChunkRunner<(T1, T2), TResult>
{
    protected override TResult Invoke(in (T1, T2) args) => function(args.Item1, args.Item2);
}
