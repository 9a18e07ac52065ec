using System.Runtime.InteropServices;

namespace Multiprocessing.Pipes;

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
