using System.Runtime.CompilerServices;
using Multiprocessing.Internal;
using Multiprocessing.Serialization;

namespace Multiprocessing;

/// <summary>
/// The data area shared by values and arrays, raw or not: a <see cref="RobustMutex"/> at offset 0 (the lock; unused
/// by the raw variants, so a value opened either way is the same memory), the element count at 16, and the elements
/// from offset 64 (cache-line aligned, so any <c>T</c> is naturally aligned). The tag is the element type, and the
/// element size, so that opening with another <c>T</c> is refused.
/// </summary>
internal static unsafe class ElementLayout
{
    internal const int LayoutVersion = 1;
    internal const int CountOffset = 16;
    internal const int ElementsOffset = 64;

    internal static string Tag<T>()
        where T : unmanaged => $"{TypeNames.Tag(typeof(T))}/{sizeof(T)}";

    internal static Segment Create<T>(string name, SegmentKind kind, long count, ReadOnlySpan<T> initial)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        long bytes = checked(count * sizeof(T));
        Segment s = Segment.Create(name, kind, LayoutVersion, ElementsOffset + bytes, Tag<T>(), populate: bytes <= 64L << 20);
        *(long*)(s.Data + CountOffset) = count;
        initial.CopyTo(new Span<T>(s.Data + ElementsOffset, initial.Length));
        s.Publish();
        return s;
    }

    internal static Segment Open<T>(string name, SegmentKind kind)
        where T : unmanaged
    {
        Segment s = Segment.Open(name, kind, LayoutVersion, Tag<T>());
        long count = *(long*)(s.Data + CountOffset);
        if (count < 0 || ElementsOffset + (count * sizeof(T)) > s.DataLength)
        {
            s.Dispose();
            throw new InvalidDataException($"The shared object '{name}' is corrupt: it claims {count} elements of {sizeof(T)} bytes in {s.DataLength} bytes.");
        }

        return s;
    }

    internal static long Count(Segment s) => *(long*)(s.Data + CountOffset);

    internal static T* Elements<T>(Segment s)
        where T : unmanaged => (T*)(s.Data + ElementsOffset);

    /// <summary>An atomic (for 1, 2, 4 and 8-byte T, which are naturally aligned here) read that the JIT cannot hoist out of a loop.</summary>
    internal static T Read<T>(T* p)
        where T : unmanaged
    {
        if (sizeof(T) == 4)
        {
            int x = Volatile.Read(ref *(int*)p);
            return Unsafe.As<int, T>(ref x);
        }

        if (sizeof(T) == 8)
        {
            long x = Volatile.Read(ref *(long*)p);
            return Unsafe.As<long, T>(ref x);
        }

        if (sizeof(T) == 2)
        {
            short x = Volatile.Read(ref *(short*)p);
            return Unsafe.As<short, T>(ref x);
        }

        if (sizeof(T) == 1)
        {
            byte x = Volatile.Read(ref *(byte*)p);
            return Unsafe.As<byte, T>(ref x);
        }

        return *p;
    }

    /// <summary>An atomic (for 1, 2, 4 and 8-byte T) release store.</summary>
    internal static void Write<T>(T* p, T value)
        where T : unmanaged
    {
        if (sizeof(T) == 4)
        {
            Volatile.Write(ref *(int*)p, Unsafe.As<T, int>(ref value));
        }
        else if (sizeof(T) == 8)
        {
            Volatile.Write(ref *(long*)p, Unsafe.As<T, long>(ref value));
        }
        else if (sizeof(T) == 2)
        {
            Volatile.Write(ref *(short*)p, Unsafe.As<T, short>(ref value));
        }
        else if (sizeof(T) == 1)
        {
            Volatile.Write(ref *(byte*)p, Unsafe.As<T, byte>(ref value));
        }
        else
        {
            *p = value;
        }
    }

    /// <summary>Atomically adds <paramref name="delta"/> (int, long, uint, ulong) and returns the new value.</summary>
    internal static T Add<T>(T* p, T delta, string objectName)
        where T : unmanaged
    {
        if (typeof(T) == typeof(int))
        {
            int r = Interlocked.Add(ref *(int*)p, Unsafe.As<T, int>(ref delta));
            return Unsafe.As<int, T>(ref r);
        }

        if (typeof(T) == typeof(long))
        {
            long r = Interlocked.Add(ref *(long*)p, Unsafe.As<T, long>(ref delta));
            return Unsafe.As<long, T>(ref r);
        }

        if (typeof(T) == typeof(uint))
        {
            uint r = Interlocked.Add(ref *(uint*)p, Unsafe.As<T, uint>(ref delta));
            return Unsafe.As<uint, T>(ref r);
        }

        if (typeof(T) == typeof(ulong))
        {
            ulong r = Interlocked.Add(ref *(ulong*)p, Unsafe.As<T, ulong>(ref delta));
            return Unsafe.As<ulong, T>(ref r);
        }

        throw NotAtomic<T>("Add, Increment and Decrement", "int, long, uint or ulong", objectName);
    }

    /// <summary>Atomically stores <paramref name="value"/> and returns the value before (int, long, uint, ulong, float, double).</summary>
    internal static T Exchange<T>(T* p, T value, string objectName)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float) || typeof(T) == typeof(int) || typeof(T) == typeof(uint))
        {
            int r = Interlocked.Exchange(ref *(int*)p, Unsafe.As<T, int>(ref value));
            return Unsafe.As<int, T>(ref r);
        }

        if (typeof(T) == typeof(double) || typeof(T) == typeof(long) || typeof(T) == typeof(ulong))
        {
            long r = Interlocked.Exchange(ref *(long*)p, Unsafe.As<T, long>(ref value));
            return Unsafe.As<long, T>(ref r);
        }

        throw NotAtomic<T>("Exchange", "int, long, uint, ulong, float or double", objectName);
    }

    /// <summary>Atomically stores <paramref name="value"/> if the value equals <paramref name="comparand"/> (bitwise); returns the value before.</summary>
    internal static T CompareExchange<T>(T* p, T value, T comparand, string objectName)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float) || typeof(T) == typeof(int) || typeof(T) == typeof(uint))
        {
            int r = Interlocked.CompareExchange(ref *(int*)p, Unsafe.As<T, int>(ref value), Unsafe.As<T, int>(ref comparand));
            return Unsafe.As<int, T>(ref r);
        }

        if (typeof(T) == typeof(double) || typeof(T) == typeof(long) || typeof(T) == typeof(ulong))
        {
            long r = Interlocked.CompareExchange(ref *(long*)p, Unsafe.As<T, long>(ref value), Unsafe.As<T, long>(ref comparand));
            return Unsafe.As<long, T>(ref r);
        }

        throw NotAtomic<T>("CompareExchange", "int, long, uint, ulong, float or double", objectName);
    }

    internal static T One<T>()
        where T : unmanaged
    {
        if (typeof(T) == typeof(int))
        {
            int one = 1;
            return Unsafe.As<int, T>(ref one);
        }

        if (typeof(T) == typeof(long) || typeof(T) == typeof(ulong))
        {
            long one = 1;
            return Unsafe.As<long, T>(ref one);
        }

        uint u = 1;
        return typeof(T) == typeof(uint) ? Unsafe.As<uint, T>(ref u) : default;
    }

    internal static T MinusOne<T>()
        where T : unmanaged
    {
        // Two's complement: adding all-ones bits subtracts one, signed or not.
        if (sizeof(T) == 4)
        {
            int m = -1;
            return Unsafe.As<int, T>(ref m);
        }

        long ml = -1;
        return sizeof(T) == 8 ? Unsafe.As<long, T>(ref ml) : default;
    }

    private static NotSupportedException NotAtomic<T>(string what, string types, string objectName) =>
        new($"{what} on the shared value '{objectName}' needs {types}, not {TypeNames.Display(typeof(T))}; hold its lock and change Value instead.");
}
