using System.Runtime.InteropServices;

namespace Multiprocessing.Pipes;

/// <summary>
/// The data area of a pipe segment. Offsets are part of the shared contract (change them with
/// <see cref="LayoutVersion"/>): a 64-byte <see cref="PipeHeader"/>, the two <see cref="PipeEndSlot"/>s, the two
/// <see cref="RingControl"/> blocks, then the ring bytes (direction 0, then direction 1 when duplex).
/// </summary>
internal static class PipeLayout
{
    internal const int LayoutVersion = 1;
    internal const int EndSlotOffset = 64;

    /// <summary>
    /// Two ints, end 0's then end 1's: the CPU each end last started waiting on (-1: unknown), written only when it
    /// changes. A waiter whose peer last waited on its own CPU yields instead of spinning (see <see cref="PipeSpinner"/>).
    /// </summary>
    internal const int CpuHintOffset = 192;
    internal const int RingControlOffset = 256;
    internal const int RingDataOffset = 1024;

    /// <summary>Bytes of the data area for a pipe with rings of <paramref name="capacity"/> bytes.</summary>
    internal static long DataLength(int capacity, bool duplex) => RingDataOffset + (long)capacity * (duplex ? 2 : 1);
}

/// <summary>Pipe-wide facts, written once by the creator before the segment is published.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal struct PipeHeader
{
    /// <summary>1 for a duplex pipe (two rings), 0 for one-way (ring 0 only: end 0 sends, end 1 receives).</summary>
    [FieldOffset(0)] internal int Duplex;

    /// <summary>Bytes per ring, a power of two.</summary>
    [FieldOffset(4)] internal int Capacity;

    /// <summary>Set once the creator has closed all its local ends; the last handoff then unlinks the name.</summary>
    [FieldOffset(8)] internal int CreatorDetached;
}

/// <summary>
/// One end's state, on a cache line of its own (written rarely, read by the peer on every send).
/// End <c>i</c> sends on ring <c>i</c> and receives on ring <c>1 - i</c>.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal struct PipeEndSlot
{
    /// <summary>
    /// The holder of the end: pid in the low 32 bits, the low 32 bits of its start time (clock ticks since boot) in the
    /// high 32 bits, so that a reused pid is not taken for the holder. One 64-bit store publishes both.
    /// </summary>
    [FieldOffset(0)] internal long Owner;

    /// <summary>1 once the holder closed the end: the peer drains, then reads end-of-stream.</summary>
    [FieldOffset(8)] internal int Closed;

    /// <summary>
    /// Non-zero (the giver's pid) while the end is on its way to another process: its current holder may exit or close
    /// its local copy without the peer reading end-of-stream; the receiving process clears it when it opens the end.
    /// </summary>
    [FieldOffset(12)] internal int HandoffPending;

    /// <summary>When the handoff began (Stopwatch ticks, CLOCK_MONOTONIC, the same clock in every process).</summary>
    [FieldOffset(16)] internal long HandoffTicks;
}

/// <summary>
/// The control block of one single-producer single-consumer ring. Each side writes only its own cache line, so the
/// hand-off of one message moves two lines. Positions count bytes since the start and never wrap (2^63 bytes).
/// Records are 8-byte aligned: an 8-byte header {int length, int 0} and the payload padded to 8.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal struct RingControl
{
    /// <summary>Producer line: bytes published so far (release store after the bytes are written).</summary>
    [FieldOffset(0)] internal long WritePos;

    /// <summary>Producer line: bumped after every publish and on close; the futex word a reader sleeps on.</summary>
    [FieldOffset(8)] internal int DataSeq;

    /// <summary>Consumer line: bytes consumed so far (release store after the bytes are copied out).</summary>
    [FieldOffset(64)] internal long ReadPos;

    /// <summary>Consumer line: bumped after every consume and on close; the futex word a full writer sleeps on.</summary>
    [FieldOffset(72)] internal int SpaceSeq;

    /// <summary>Readers (sync, async or <c>Connection.Wait</c>) sleeping on <see cref="DataSeq"/>; the writer wakes only if non-zero.</summary>
    [FieldOffset(128)] internal int ReaderWaiters;

    /// <summary>Writers sleeping on <see cref="SpaceSeq"/>.</summary>
    [FieldOffset(192)] internal int WriterWaiters;
}
