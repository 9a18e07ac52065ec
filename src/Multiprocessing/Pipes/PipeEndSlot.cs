using System.Runtime.InteropServices;

namespace Multiprocessing.Pipes;

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
