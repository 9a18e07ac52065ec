namespace Multiprocessing.Internal;

/// <summary>What a segment holds; stored in its header so that opening a name as the wrong kind is refused.</summary>
internal enum SegmentKind
{
    None = 0,
    MemoryBlock = 1,
    Lock = 2,
    RecursiveLock = 3,
    Semaphore = 4,
    BoundedSemaphore = 5,
    Event = 6,
    Condition = 7,
    Barrier = 8,
    Value = 9,
    Array = 10,
    Queue = 11,
    JoinableQueue = 12,
    SimpleQueue = 13,
    Pipe = 14,
    WorkerStatus = 15,
    Pool = 16,
}
