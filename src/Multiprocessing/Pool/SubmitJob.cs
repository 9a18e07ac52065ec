using System.Runtime.CompilerServices;
namespace Multiprocessing.Pool;

/// <summary>One Submit call: one task, one result, completing a Task.</summary>
/// <typeparam name="TResult">The result type.</typeparam>
internal sealed class SubmitJob<TResult> : PoolJob
{
    private readonly PoolCore _core;
    private readonly TaskCompletionSource<TResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenRegistration _registration;

    internal SubmitJob(PoolCore core) => _core = core;

    internal Task<TResult> Task => _completion.Task;

    internal void CancelOn(CancellationToken ct)
    {
        if (ct.CanBeCanceled)
        {
            _registration = ct.Register(static (s, t) => ((SubmitJob<TResult>)s!).Fail(new OperationCanceledException(t)), this);
        }
    }

    internal override void OnResult(PoolChunk chunk, ReadOnlyMemory<byte> results)
    {
        if (IsFinished)
        {
            return;
        }

        TResult value = default!;
        ChunkCodec<TResult>.Decode(results, new Span<TResult>(ref value));
        if (TryFinish())
        {
            _registration.Dispose();
            _ = _completion.TrySetResult(value);
        }
    }

    internal override void OnFailure(PoolChunk chunk, Exception error) => Fail(error);

    private void Fail(Exception error)
    {
        if (TryFinish())
        {
            _registration.Dispose();
            if (error is OperationCanceledException oce)
            {
                _ = _completion.TrySetCanceled(oce.CancellationToken);
            }
            else
            {
                _ = _completion.TrySetException(error);
            }

            _core.OnJobFinished();
        }
    }
}
