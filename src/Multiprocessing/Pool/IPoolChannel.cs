namespace Multiprocessing.Pool;

/// <summary>
/// One direction of pool traffic: whole messages, in order. Over processes it is a shared-memory queue; the unit
/// tests also run the pool over an in-memory channel with worker threads, to test the bookkeeping on its own.
/// </summary>
internal interface IPoolChannel : IDisposable
{
    /// <summary>Sends one message. False if <paramref name="timeout"/> passed before there was room (nothing was sent).</summary>
    bool TrySend(ReadOnlySpan<byte> message, TimeSpan timeout);

    /// <summary>True when no message is waiting (a hint: another process may add one at any moment).</summary>
    bool IsEmpty { get; }

    /// <summary>Receives one message into <paramref name="destination"/> (replacing its contents). False on timeout.</summary>
    bool TryReceive(PoolBuffer destination, TimeSpan timeout);
}
