using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Multiprocessing.Internal;

/// <summary>Copies between spans and the ring, the record header check, and errors.</summary>
internal sealed unsafe partial class SharedRing
{
    private void CopyIn(ulong position, ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty)
        {
            return;
        }

        int offset = (int)(position & _mask);
        int first = (int)Math.Min(source.Length, _capacity - offset);
        ByteCopy.Copy(source[..first], new Span<byte>(_data + offset, first));
        if (first < source.Length)
        {
            source[first..].CopyTo(new Span<byte>(_data, source.Length - first));
        }
    }

    private void CopyOutRaw(ulong position, Span<byte> destination)
    {
        int offset = (int)(position & _mask);
        int first = (int)Math.Min(destination.Length, _capacity - offset);
        new ReadOnlySpan<byte>(_data + offset, first).CopyTo(destination);
        if (first < destination.Length)
        {
            new ReadOnlySpan<byte>(_data, destination.Length - first).CopyTo(destination[first..]);
        }
    }

    private void CopyOut<TSink>(ulong position, int length, scoped ref TSink sink)
        where TSink : IRecordSink, allows ref struct
    {
        if (length == 0)
        {
            return;
        }

        int offset = (int)(position & _mask);
        int first = (int)Math.Min(length, _capacity - offset);
        sink.Append(new ReadOnlySpan<byte>(_data + offset, first));
        if (first < length)
        {
            sink.Append(new ReadOnlySpan<byte>(_data, length - first));
        }
    }

    private void WriteHeader(ulong position, uint length, ushort kind) =>
        *(ulong*)(_data + (position & _mask)) = length | ((ulong)kind << 32) | ((ulong)Check(length, kind) << 48);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort Check(uint length, ushort kind) => (ushort)(((length * 2654435761u) >> 16) ^ (kind * 0x9E37u) ^ 0xC35Au);

    private static int Align8(int n) => (n + 7) & ~7;

    private static long Align8Long(uint n) => ((long)n + 7) & ~7L;

    private InvalidDataException Corrupt(string what) =>
        new($"The shared queue or pipe '{_name}' is corrupt: {what}. Another process wrote over its shared memory; create it again.");

    [StructLayout(LayoutKind.Sequential, Size = FirstPrefix)]
    private struct StreamFirstPrefix
    {
        internal long Total;
        internal ulong StreamId;
        internal int Pid;
        internal int Reserved;
    }
}
