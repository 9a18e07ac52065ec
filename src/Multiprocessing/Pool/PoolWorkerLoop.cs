using System.Runtime.CompilerServices;
using System.Diagnostics;

namespace Multiprocessing.Pool;

/// <summary>
/// What a pool worker runs: read a message, run the chunk, send the result, until Stop. It holds no state the parent
/// depends on: if it dies, the parent learns it from the process's exit and fails (or retries) what it had sent it.
/// The parent may send several frames as one TaskBatch message. While more chunks wait, it holds results back and sends them as one batch (fewer queue operations
/// and wake-ups for tiny tasks); it sends at once whenever its queue is empty, so a lone task is never delayed.
/// </summary>
internal sealed class PoolWorkerLoop
{
    private const int MaxBatch = 256;
    private const int MaxBatchBytes = 64 << 10;

    private readonly IPoolChannel _tasks;
    private readonly IPoolChannel _results;
    private readonly Dictionary<int, ChunkRunner> _runners = [];
    private readonly Dictionary<int, Exception> _unresolved = [];
    private readonly PoolBuffer _output = new(4096);
    private readonly PoolBuffer _batch = new(4096);
    private int _batched;

    private PoolWorkerLoop(IPoolChannel tasks, IPoolChannel results)
    {
        _tasks = tasks;
        _results = results;
    }

    internal static void Run(IPoolChannel tasks, IPoolChannel results) => new PoolWorkerLoop(tasks, results).Loop();

    private void Loop()
    {
        PoolBuffer input = new(4096);
        while (true)
        {
            // Never block on an empty queue while holding results back.
            if (_batched > 0 && _tasks.IsEmpty)
            {
                Flush();
            }

            if (!_tasks.TryReceive(input, Timeout.InfiniteTimeSpan))
            {
                continue;
            }

            ReadOnlyMemory<byte> message = input.WrittenMemory;
            if (message.Span[0] != PoolFrames.TaskBatch)
            {
                if (!Handle(message, moreQueued: !_tasks.IsEmpty))
                {
                    return;
                }

                continue;
            }

            PoolFrameReader reader = new(message.Span);
            _ = reader.ReadByte();
            int n = reader.ReadInt32();
            int position = reader.Position;
            for (int i = 0; i < n; i++)
            {
                ReadOnlyMemory<byte> task = PoolFrameReader.NextInBatch(message, ref position, i, n, "task");
                if (!Handle(task, moreQueued: i < n - 1 || !_tasks.IsEmpty))
                {
                    return;
                }
            }
        }
    }

    /// <summary>Handles one frame; false when the worker must exit.</summary>
    private bool Handle(ReadOnlyMemory<byte> frame, bool moreQueued)
    {
        PoolFrameReader reader = new(frame.Span);
        byte op = reader.ReadByte();
        switch (op)
        {
            case PoolFrames.Initialize:
                try
                {
                    PoolInitializer.Run(ref reader);
                }
#pragma warning disable CA1031 // Any initializer failure is reported to the parent, which stops the pool.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    Flush();
                    _output.Clear();
                    _output.WriteByte(PoolFrames.InitFailed);
                    _output.WriteInt32(Environment.ProcessId);
                    WriteException(_output, e);
                    Send(_results, _output.WrittenSpan);
                    return false;
                }

                return true;

            case PoolFrames.DefineTarget:
            {
                int id = 0;
                try
                {
                    PoolFrameReader peek = reader;
                    id = peek.ReadInt32();
                    (id, ChunkRunner runner) = PoolTargetResolver.ReadRunner(ref reader);
                    _runners[id] = runner;
                }
#pragma warning disable CA1031 // A function that cannot be found fails the chunks that name it, not the worker.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    _unresolved[id] = e;
                }

                return true;
            }

            case PoolFrames.Chunk:
                RunChunk(ref reader, frame, _output, _runners, _unresolved);
                if (_batched == 0 && !moreQueued)
                {
                    Send(_results, _output.WrittenSpan);
                    return true;
                }

                if (_batched == 0)
                {
                    _batch.BeginBatch(PoolFrames.ResultBatch);
                }

                _batch.AddToBatch(_output.WrittenSpan);
                _batched++;
                if (_batched >= MaxBatch || _batch.Length >= MaxBatchBytes || !moreQueued)
                {
                    Flush();
                }

                return true;

            case PoolFrames.Stop:
                Flush();
                return false;

            default:
                throw PoolFrameReader.Corrupt($"operation {op} sent to a pool worker");
        }
    }

    private void Flush()
    {
        if (_batched == 0)
        {
            return;
        }

        _batch.EndBatch(_batched);
        Send(_results, _batch.WrittenSpan);
        _batched = 0;
    }

    private static void RunChunk(ref PoolFrameReader reader, ReadOnlyMemory<byte> frame, PoolBuffer output, Dictionary<int, ChunkRunner> runners, Dictionary<int, Exception> unresolved)
    {
        long chunkId = reader.ReadInt64();
        int targetId = reader.ReadInt32();
        int count = reader.ReadInt32();
        ReadOnlyMemory<byte> arguments = frame[reader.Position..];
        output.Clear();
        Exception? error;
        int failedIndex = 0;
        long started = Stopwatch.GetTimestamp();
        if (runners.TryGetValue(targetId, out ChunkRunner? runner))
        {
            output.WriteByte(PoolFrames.Result);
            output.WriteInt64(chunkId);
            output.WriteInt32(count);
            int elapsedAt = output.Length;
            output.WriteInt64(0);
            try
            {
                error = runner.Run(arguments, count, output, out failedIndex);
            }
#pragma warning disable CA1031 // Arguments that do not decode, or results that do not encode, fail the chunk.
            catch (Exception e)
#pragma warning restore CA1031
            {
                error = e;
            }

            if (error is null)
            {
                long ns = (long)Stopwatch.GetElapsedTime(started).TotalNanoseconds;
                System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(output.GetSpanAt(elapsedAt, 8), ns);
                return;
            }
        }
        else
        {
            error = unresolved.GetValueOrDefault(targetId)
                ?? PoolFrameReader.Corrupt($"a chunk for function {targetId}, which was never defined");
        }

        output.Clear();
        output.WriteByte(PoolFrames.Error);
        output.WriteInt64(chunkId);
        output.WriteInt32(failedIndex);
        WriteException(output, error);
    }

    private static void WriteException(PoolBuffer output, Exception e)
    {
        output.WriteString(e.GetType().FullName);
        output.WriteString(e.Message);
        output.WriteString(e.StackTrace ?? "");
    }

    private static void Send(IPoolChannel results, ReadOnlySpan<byte> frame)
    {
        while (!results.TrySend(frame, Timeout.InfiniteTimeSpan))
        {
        }
    }
}
