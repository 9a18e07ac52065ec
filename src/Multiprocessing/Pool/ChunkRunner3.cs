namespace Multiprocessing.Pool;

/// <summary>Binds a 3-argument function.</summary>
internal sealed class ChunkRunner3<T1, T2, T3, TResult>(Func<T1, T2, T3, TResult> function) : ChunkRunner<(T1, T2, T3), TResult>
{
    protected override TResult Invoke(in (T1, T2, T3) args) => function(args.Item1, args.Item2, args.Item3);
}
