using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Multiprocessing.Internal;

/// <summary>
/// Copies of message bytes into and out of a ring. A span copy calls the runtime's memmove, a call that costs more than
/// the copy for the few bytes of a small message (an int is 4); those are copied inline.
/// </summary>
internal static class ByteCopy
{
    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/>, which must be at least as long.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Copy(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int n = source.Length;
        if (n > 16 || n > destination.Length)
        {
            source.CopyTo(destination);
            return;
        }

        ref byte s = ref MemoryMarshal.GetReference(source);
        ref byte d = ref MemoryMarshal.GetReference(destination);
        if (n >= 8)
        {
            // Two overlapping 8-byte moves cover 8 to 16 bytes.
            Unsafe.WriteUnaligned(ref d, Unsafe.ReadUnaligned<ulong>(ref s));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, n - 8), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref s, n - 8)));
        }
        else if (n >= 4)
        {
            Unsafe.WriteUnaligned(ref d, Unsafe.ReadUnaligned<uint>(ref s));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, n - 4), Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref s, n - 4)));
        }
        else
        {
            for (int i = 0; i < n; i++)
            {
                Unsafe.Add(ref d, i) = Unsafe.Add(ref s, i);
            }
        }
    }
}
