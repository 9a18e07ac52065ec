using System.Runtime.InteropServices;

namespace Multiprocessing.Internal;

/// <summary>
/// The first 128 bytes of every segment. Written by the creator before <see cref="State"/> is published,
/// checked by every opener. Offsets are part of the on-disk contract: change them only with the magic.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal unsafe struct SegmentHeader
{
    internal const int Size = 128;
    internal const int TagCapacity = 64;

    /// <summary>"MPNETSHM" little-endian.</summary>
    internal const ulong MagicValue = 0x4D48535445_4E504DUL;

    internal const int StateInitializing = 0;
    internal const int StateReady = 1;

    [FieldOffset(0)] internal ulong Magic;
    [FieldOffset(8)] internal int Kind;
    [FieldOffset(12)] internal int LayoutVersion;
    [FieldOffset(16)] internal long TotalSize;
    [FieldOffset(24)] internal int CreatorPid;
    [FieldOffset(28)] internal int State;
    [FieldOffset(32)] internal ulong CreatorStartTime;
    [FieldOffset(40)] internal int TagLength;

    /// <summary>An object-defined tag, such as the element type of a queue, checked on open.</summary>
    [FieldOffset(64)] internal fixed byte Tag[TagCapacity];
}
