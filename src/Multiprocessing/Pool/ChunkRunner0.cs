namespace Multiprocessing.Pool;

/// <summary>Binds a 0-argument function.</summary>
internal sealed class ChunkRunner0<TResult>(Func<TResult> function) : ChunkRunner<NoArguments, TResult>
{
    protected override TResult Invoke(in NoArguments args) => function();
}
