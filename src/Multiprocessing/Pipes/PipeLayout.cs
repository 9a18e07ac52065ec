namespace Multiprocessing.Pipes;

/// <summary>
/// The data area of a pipe segment. Offsets are part of the shared contract (change them with
/// <see cref="LayoutVersion"/>): a 64-byte <see cref="PipeHeader"/>, the two <see cref="PipeEndSlot"/>s, the CPU hints, the two
/// <see cref="Internal.RingHeader"/>s, then the ring bytes (direction 0, then direction 1 when duplex).
/// </summary>
internal static class PipeLayout
{
    internal const int LayoutVersion = 2;
    internal const int EndSlotOffset = 64;

    /// <summary>
    /// Two ints, end 0's then end 1's: the CPU each end last started waiting on (-1: unknown), written only when it
    /// changes. A waiter whose peer last waited on its own CPU yields instead of spinning (see <see cref="PipeSpinner"/>).
    /// </summary>
    internal const int CpuHintOffset = 192;

    /// <summary>The <see cref="Internal.RingHeader"/> of ring 0, then ring 1's (192 bytes each).</summary>
    internal const int RingHeaderOffset = 256;
    internal const int RingDataOffset = 1024;

    /// <summary>Bytes of the data area for a pipe with rings of <paramref name="capacity"/> bytes.</summary>
    internal static long DataLength(int capacity, bool duplex) => RingDataOffset + (long)capacity * (duplex ? 2 : 1);
}
