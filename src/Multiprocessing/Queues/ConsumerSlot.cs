using System.Runtime.InteropServices;

namespace Multiprocessing.Queues;

/// <summary>
/// What one consumer process of a joinable queue holds: 64 bytes, one cache line, so consumers do not share lines.
/// In-flight tasks = <see cref="Taken"/> - <see cref="Completed"/>. <see cref="Taken"/> is changed only under the
/// read lock, with a journal (<see cref="Taking"/>, <see cref="TakingHead"/>, <see cref="TakingTaken"/>) that the
/// next lock holder resolves if the consumer dies between taking a message and counting it.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct ConsumerSlot
{
    internal const int Size = 64;

    /// <summary>The consumer's pid, 0 when free. Claimed with a CAS.</summary>
    [FieldOffset(0)] internal int Pid;

    /// <summary>1 while the consumer is between reading Head and counting the message it took.</summary>
    [FieldOffset(4)] internal int Taking;

    /// <summary>The consumer's start time (guards against a reused pid).</summary>
    [FieldOffset(8)] internal ulong StartTime;
    [FieldOffset(16)] internal ulong Taken;
    [FieldOffset(24)] internal ulong Completed;
    [FieldOffset(32)] internal ulong TakingHead;
    [FieldOffset(40)] internal ulong TakingTaken;
}
