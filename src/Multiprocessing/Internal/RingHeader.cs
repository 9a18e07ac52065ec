using System.Runtime.InteropServices;

namespace Multiprocessing.Internal;

/// <summary>
/// The control block of a <see cref="SharedRing"/> in shared memory: 192 bytes, three cache lines. The first line
/// is written only by the producer side, the second only by the consumer side, the third almost never, so that a
/// producer and a consumer on two cores do not fight over one line. Offsets are part of the layout contract.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct RingHeader
{
    internal const int Size = 192;

    /// <summary>"RNG1" little-endian; checked when a ring is attached.</summary>
    internal const int MagicValue = 0x31474E52;

    // ---- producer line -------------------------------------------------------------------------------------
    /// <summary>Held by the producer that appends (many-producer use only).</summary>
    [FieldOffset(0)] internal RobustMutex WriteLock;

    /// <summary>Byte position one past the last published record. Its low 32 bits are the consumers' futex word.</summary>
    [FieldOffset(16)] internal ulong Tail;

    /// <summary>Complete messages published (a streamed message counts once, with its last chunk).</summary>
    [FieldOffset(24)] internal ulong MessagesIn;

    /// <summary>Tail and MessagesIn as they were before the last message-completing publish (crash recovery).</summary>
    [FieldOffset(32)] internal ulong JournalTail;

    [FieldOffset(40)] internal ulong JournalMessagesIn;

    /// <summary>1 + the stream id of the message being streamed in chunks, or 0.</summary>
    [FieldOffset(48)] internal ulong OpenStream;

    // ---- consumer line -------------------------------------------------------------------------------------
    /// <summary>Held by the consumer that takes a record (many-consumer use only).</summary>
    [FieldOffset(64)] internal RobustMutex ReadLock;

    /// <summary>Byte position of the next record to read. Its low 32 bits are the producers' futex word.</summary>
    [FieldOffset(80)] internal ulong Head;

    /// <summary>Complete messages taken out (or skipped as orphans).</summary>
    [FieldOffset(88)] internal ulong MessagesOut;

    [FieldOffset(96)] internal ulong JournalHead;

    [FieldOffset(104)] internal ulong JournalMessagesOut;

    // ---- rarely written ------------------------------------------------------------------------------------
    /// <summary>Consumers asleep (or watching asynchronously) on the low half of <see cref="Tail"/>.</summary>
    [FieldOffset(128)] internal int DataWaiters;

    /// <summary>Producers asleep on the low half of <see cref="Head"/>.</summary>
    [FieldOffset(132)] internal int SpaceWaiters;

    /// <summary>Data bytes, a power of two.</summary>
    [FieldOffset(136)] internal long Capacity;

    /// <summary>1 once closed: no more writes; readers drain and then see <see cref="RingStatus.Closed"/>.</summary>
    [FieldOffset(144)] internal int Closed;

    [FieldOffset(148)] internal int Magic;

    /// <summary>
    /// Free bytes the sleeping producer waits for. Consumers wake it only once that much is free, so that a producer
    /// facing a full ring of large messages writes a batch per wake-up instead of one message per wake-up.
    /// </summary>
    [FieldOffset(152)] internal long SpaceWanted;
}
