namespace Multiprocessing.Pool;

/// <summary>
/// Runs one chunk in a worker: decodes the arguments, calls the function on each, encodes the results.
/// One subclass per arity binds the delegate with its exact type, so a call costs one delegate invocation.
/// </summary>
internal abstract class ChunkRunner
{
    /// <summary>Runs <paramref name="count"/> calls; returns null on success, or the first exception and its index.</summary>
    internal abstract Exception? Run(ReadOnlyMemory<byte> arguments, int count, PoolBuffer results, out int failedIndex);
}
