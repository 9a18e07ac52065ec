namespace Multiprocessing.Pool;

/// <summary>Binds a 4-argument function.</summary>
internal sealed class ChunkRunner4<T1, T2, T3, T4, TResult>(Func<T1, T2, T3, T4, TResult> function) : ChunkRunner<(T1, T2, T3, T4), TResult>
{
    protected override TResult Invoke(in (T1, T2, T3, T4) args) => function(args.Item1, args.Item2, args.Item3, args.Item4);
}
