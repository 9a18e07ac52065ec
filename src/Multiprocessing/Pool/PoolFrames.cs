namespace Multiprocessing.Pool;

/// <summary>
/// The first byte of every pool message. Parent → worker: <see cref="DefineTarget"/>, <see cref="Chunk"/>,
/// <see cref="Stop"/>. Worker → parent: <see cref="Result"/>, <see cref="Error"/>, <see cref="InitFailed"/>.
/// The parent also posts <see cref="WorkerExited"/> and <see cref="Shutdown"/> into its own result queue, so the
/// result thread learns of a death after every result the dead worker managed to send (the queue is FIFO).
/// </summary>
internal static class PoolFrames
{
    /// <summary>[op][target id:int32][descriptor].</summary>
    internal const byte DefineTarget = 1;

    /// <summary>[op][chunk id:int64][target id:int32][count:int32][encoded arguments].</summary>
    internal const byte Chunk = 2;

    /// <summary>[op][descriptor][argument count][(length, bytes) per argument]: run the initializer (first message).</summary>
    internal const byte Initialize = 4;

    /// <summary>[op]: finish and exit.</summary>
    internal const byte Stop = 3;

    /// <summary>[op][n:int32][(length:int32, frame) × n]: several parent → worker frames in one queue message.</summary>
    internal const byte TaskBatch = 5;


    /// <summary>[op][chunk id:int64][count:int32][elapsed ns:int64][encoded results].</summary>
    internal const byte Result = 10;

    /// <summary>[op][chunk id:int64][item index:int32][type][message][stack].</summary>
    internal const byte Error = 11;

    /// <summary>[op][n:int32][(length:int32, Result or Error frame) × n]: results a worker held back while more tasks were queued.</summary>
    internal const byte ResultBatch = 13;

    /// <summary>[op][pid:int32][type][message][stack]: the initializer threw; the worker exits.</summary>
    internal const byte InitFailed = 12;

    /// <summary>[op][worker id:int32][exit code:int32, int.MinValue if unknown] (posted by the parent).</summary>
    internal const byte WorkerExited = 20;

    /// <summary>[op] (posted by the parent): the result thread stops.</summary>
    internal const byte Shutdown = 21;
}
