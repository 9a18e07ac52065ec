namespace Multiprocessing.Pool;

/// <summary>
/// One call on the pool (a Map, an Imap, a Submit): receives its chunks' outcomes on the pool's result thread.
/// Once <see cref="IsFinished"/> (done, failed or cancelled), its chunks still waiting for a worker are dropped.
/// </summary>
internal abstract class PoolJob
{
    private volatile bool _finished;

    internal bool IsFinished => _finished;

    /// <summary>Marks the job finished; true for the caller that did it first.</summary>
    protected bool TryFinish()
    {
        if (_finished)
        {
            return false;
        }

        lock (this)
        {
            if (_finished)
            {
                return false;
            }

            _finished = true;
            return true;
        }
    }

    /// <summary>A chunk's results arrived (decode them before returning: the memory is reused).</summary>
    internal abstract void OnResult(PoolChunk chunk, ReadOnlyMemory<byte> results);

    /// <summary>A chunk failed: a task threw, its worker died, the pool was terminated or broke.</summary>
    internal abstract void OnFailure(PoolChunk chunk, Exception error);
}
