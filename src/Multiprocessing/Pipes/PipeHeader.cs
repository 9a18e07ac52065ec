using System.Runtime.InteropServices;

namespace Multiprocessing.Pipes;

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
