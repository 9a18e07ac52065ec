using System.Diagnostics;

namespace Multiprocessing.Internal;

/// <summary>
/// The spin phase of a wait for a peer that is known to be busy copying a large record (the next chunk of a stream,
/// or space a reader is freeing): spin for about as long as that copy takes, instead of the short adaptive spin of
/// <see cref="AdaptiveSpinner"/>. Measured: a 1 MiB message streamed through a 1 MiB ring in 256 KiB chunks slept
/// and was woken about once per chunk (~2 futex calls per chunk, ~20 µs per wake here), because the adaptive budget
/// shrinks to well under a microsecond after a few waits that had to sleep; with this spin, 100 000 messages of 64 KiB
/// made ~1 000 futex calls instead of 50 000–80 000. The spin yields every few microseconds, so a peer sharing this
/// CPU still runs.
/// </summary>
internal struct PeerSpinner
{
    /// <summary>Bytes per microsecond assumed for the peer's copy (4 GB/s: slow on purpose, so the spin covers it).</summary>
    private const long BytesPerMicrosecond = 4_000;

    /// <summary>
    /// At least the time a sleeping peer takes to wake here (~20–50 µs): a shorter spin lets the two sides fall into a
    /// convoy, each one's spin running out while the other is still waking, so that both sleep once per record.
    /// </summary>
    private const long MinMicroseconds = 60;

    private const long MaxMicroseconds = 200;

    private long _until;
    private int _count;

    /// <summary>Starts a spin sized for a peer copying <paramref name="bytes"/>.</summary>
    internal PeerSpinner(long bytes)
    {
        long us = Math.Clamp(bytes / BytesPerMicrosecond, MinMicroseconds, MaxMicroseconds);
        _until = Stopwatch.GetTimestamp() + (us * Stopwatch.Frequency / 1_000_000);
        _count = 0;
    }

    /// <summary>Spins a little; false once the time is spent (or on a single CPU) and the caller should sleep.</summary>
    internal bool SpinOnce()
    {
        if (Environment.ProcessorCount == 1 || Stopwatch.GetTimestamp() >= _until)
        {
            return false;
        }

        if ((++_count & 63) == 0)
        {
            Thread.Yield();
        }
        else
        {
            Thread.SpinWait(8);
        }

        return true;
    }
}
