using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Multiprocessing.Pool;

/// <summary>
/// A Map, Starmap or Imap call: collects the results in order (Map) or streams each chunk's results as they arrive
/// (Imap, ImapUnordered). Fails at the first failure, like CPython's map, and drops its chunks not yet started.
/// </summary>
/// <typeparam name="TResult">The result type.</typeparam>
internal sealed class MapJob<TResult> : PoolJob
{
    private readonly PoolCore _core;
    private readonly int _total;
    private readonly IProgress<PoolProgress>? _progress;
    private readonly TResult[]? _results;
    private readonly TaskCompletionSource<List<TResult>>? _completion;
    private readonly Channel<(int Index, TResult[]? Values, Exception? Error)>? _stream;
    private int _remainingChunks;
    private int _completed;
    private CancellationTokenRegistration _registration;

    internal MapJob(PoolCore core, int total, int chunks, bool streaming, IProgress<PoolProgress>? progress)
    {
        _core = core;
        _total = total;
        _remainingChunks = chunks;
        _progress = progress;
        if (streaming)
        {
            _stream = Channel.CreateUnbounded<(int, TResult[]?, Exception?)>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = true });
        }
        else
        {
            _results = new TResult[total];
            _completion = new TaskCompletionSource<List<TResult>>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    internal Task<List<TResult>> Completion => _completion!.Task;

    internal ChannelReader<(int Index, TResult[]? Values, Exception? Error)> Stream => _stream!.Reader;

    internal void CancelOn(CancellationToken ct)
    {
        if (ct.CanBeCanceled)
        {
            _registration = ct.Register(static (s, t) => ((MapJob<TResult>)s!).Fail(new OperationCanceledException(t)), this);
        }
    }

    /// <summary>Stops the job (its consumer went away or was cancelled): chunks not started are dropped.</summary>
    internal void Fail(Exception error)
    {
        if (TryFinish())
        {
            if (error is OperationCanceledException oce)
            {
                _ = _completion?.TrySetCanceled(oce.CancellationToken);
            }
            else
            {
                _ = _completion?.TrySetException(error);
            }

            _ = _stream?.Writer.TryComplete(error);
            _registration.Dispose();
            _core.OnJobFinished();
        }
    }

    internal override void OnResult(PoolChunk chunk, ReadOnlyMemory<byte> results)
    {
        if (IsFinished)
        {
            return;
        }

        if (_results is not null)
        {
            ChunkCodec<TResult>.Decode(results, _results.AsSpan(chunk.FirstItem, chunk.Count));
        }
        else
        {
            TResult[] values = new TResult[chunk.Count];
            ChunkCodec<TResult>.Decode(results, values);
            _ = _stream!.Writer.TryWrite((chunk.Index, values, null));
        }

        int completed = Interlocked.Add(ref _completed, chunk.Count);
        _progress?.Report(new PoolProgress(completed, _total));
        ChunkDone();
    }

    /// <summary>Completes a call with no tasks.</summary>
    internal void CompleteEmpty()
    {
        _remainingChunks = 1;
        ChunkDone();
    }

    private void ChunkDone()
    {
        if (Interlocked.Decrement(ref _remainingChunks) == 0 && TryFinish())
        {
            _registration.Dispose();
            _ = _completion?.TrySetResult(_results is null ? [] : [.. _results]);
            _ = _stream?.Writer.TryComplete();
        }
    }

    internal override void OnFailure(PoolChunk chunk, Exception error)
    {
        if (_stream is not null && error is not OperationCanceledException && !IsFinished)
        {
            // Imap: the tasks before this chunk still come out; the failure surfaces at this chunk's position.
            // The other chunks keep running; the consumer stops the job if it stops reading.
            _ = _stream.Writer.TryWrite((chunk.Index, null, error));
            ChunkDone();
            return;
        }

        Fail(error);
    }
}
