using System.Runtime.InteropServices;

namespace Multiprocessing.Queues;

/// <summary>
/// The queue's own fields, after the ring's control block in the segment (data offset 256). 128 bytes: the first
/// line is written once at creation, the second is the joinable queue's done counter.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct QueueHeader
{
    internal const int Size = 128;

    /// <summary>"QUE1" little-endian.</summary>
    internal const int MagicValue = 0x31455551;

    internal const int FlagJoinable = 1;
    internal const int FlagAtLeastOnce = 2;

    [FieldOffset(0)] internal int Magic;
    [FieldOffset(4)] internal int Flags;

    /// <summary>Python's maxsize: the most messages the queue holds (0: only the ring's bytes bound it).</summary>
    [FieldOffset(8)] internal long MaxSize;
    [FieldOffset(16)] internal int SlotCount;
    [FieldOffset(24)] internal long RingDataOffset;

    /// <summary>At-least-once: the capacity of each consumer's stash ring (0 otherwise).</summary>
    [FieldOffset(32)] internal long StashCapacity;

    /// <summary>Tasks marked done by processes without a consumer slot (or retired with a dead one's slot).</summary>
    [FieldOffset(64)] internal ulong DoneOther;

    /// <summary>One past the highest slot ever claimed: sums over slots stop there (cheap with a few consumers).</summary>
    [FieldOffset(72)] internal int SlotHighWater;

    /// <summary>The joiners' futex word, bumped when the last task is done.</summary>
    [FieldOffset(80)] internal int DoneSignal;

    /// <summary>Threads in Join.</summary>
    [FieldOffset(84)] internal int JoinWaiters;
}
