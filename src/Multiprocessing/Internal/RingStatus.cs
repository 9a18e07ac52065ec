namespace Multiprocessing.Internal;

/// <summary>The outcome of a <see cref="SharedRing"/> read or write.</summary>
internal enum RingStatus
{
    /// <summary>A message was written, or read into the sink.</summary>
    Ok = 0,

    /// <summary>Nothing to read right now.</summary>
    Empty = 1,

    /// <summary>The deadline passed first; nothing was written or consumed.</summary>
    TimedOut = 2,

    /// <summary>The ring is closed (and, for a read, drained).</summary>
    Closed = 3,

    /// <summary>The sink refused the next message (its <see cref="IRecordSink.Begin"/> returned false); it is still in the ring.</summary>
    Refused = 4,
}
