using System.Diagnostics;

namespace Multiprocessing.Pool;

/// <summary>
/// What a pool worker runs: read a message, run the chunk, send the result, until Stop. It holds no state the parent
/// depends on: if it dies, the parent learns it from the process's exit and fails (or retries) what it had sent it.
/// While more chunks wait in its queue, it holds results back and sends them as one batch (fewer queue operations
/// and wake-ups for tiny tasks); it sends at once whenever its queue is empty, so a lone task is never delayed.
/// </summary>
internal static class PoolWorkerLoop
{
    private const int MaxBatch = 256;
    private const int MaxBatchBytes = 64 << 10;

    internal static void Run(IPoolChannel tasks, IPoolChannel results)
    {
        Dictionary<int, ChunkRunner> runners = [];
        Dictionary<int, Exception> unresolved = [];
        PoolBuffer input = new(4096);
        PoolBuffer output = new(4096);
        PoolBuffer batch = new(4096);
        int batched = 0;
        while (true)
        {
            // Never block on an empty queue while holding results back.
            if (batched > 0 && tasks.IsEmpty)
            {
                Flush(results, batch, ref batched);
            }

            if (!tasks.TryReceive(input, Timeout.InfiniteTimeSpan))
            {
                continue;
            }

            PoolFrameReader reader = new(input.WrittenSpan);
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
                        output.Clear();
                        output.WriteByte(PoolFrames.InitFailed);
                        output.WriteInt32(Environment.ProcessId);
                        WriteException(output, e);
                        Send(results, output.WrittenSpan);
                        return;
                    }

                    break;

                case PoolFrames.DefineTarget:
                {
                    int id = 0;
                    try
                    {
                        PoolFrameReader peek = reader;
                        id = peek.ReadInt32();
                        (id, ChunkRunner runner) = PoolTargetResolver.ReadRunner(ref reader);
                        runners[id] = runner;
                    }
#pragma warning disable CA1031 // A function that cannot be found fails the chunks that name it, not the worker.
                    catch (Exception e)
#pragma warning restore CA1031
                    {
                        unresolved[id] = e;
                    }

                    break;
                }

                case PoolFrames.Chunk:
                    RunChunk(ref reader, input, output, runners, unresolved);
                    if (batched == 0 && tasks.IsEmpty)
                    {
                        Send(results, output.WrittenSpan);
                        break;
                    }

                    if (batched == 0)
                    {
                        batch.Clear();
                        batch.WriteByte(PoolFrames.ResultBatch);
                        batch.WriteInt32(0);
                    }

                    batch.WriteInt32(output.Length);
                    batch.Write(output.WrittenSpan);
                    batched++;
                    if (batched >= MaxBatch || batch.Length >= MaxBatchBytes || tasks.IsEmpty)
                    {
                        Flush(results, batch, ref batched);
                    }

                    break;

                case PoolFrames.Stop:
                    Flush(results, batch, ref batched);
                    return;

                default:
                    throw PoolFrameReader.Corrupt($"operation {op} sent to a pool worker");
            }
        }
    }

    private static void RunChunk(ref PoolFrameReader reader, PoolBuffer input, PoolBuffer output, Dictionary<int, ChunkRunner> runners, Dictionary<int, Exception> unresolved)
    {
        long chunkId = reader.ReadInt64();
        int targetId = reader.ReadInt32();
        int count = reader.ReadInt32();
        ReadOnlyMemory<byte> arguments = input.WrittenMemory[reader.Position..];
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

    private static void Flush(IPoolChannel results, PoolBuffer batch, ref int batched)
    {
        if (batched == 0)
        {
            return;
        }

        batch.PatchInt32(1, batched);
        Send(results, batch.WrittenSpan);
        batched = 0;
    }

    private static void Send(IPoolChannel results, ReadOnlySpan<byte> frame)
    {
        while (!results.TrySend(frame, Timeout.InfiniteTimeSpan))
        {
        }
    }
}
