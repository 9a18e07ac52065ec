using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Multiprocessing.Serialization;

namespace Multiprocessing.Pool;

/// <summary>
/// Encodes a run of values for one chunk. Types without references go as one block copy of the whole array (the
/// fast path of <c>Map(x =&gt; x * x, ints)</c>); everything else as [length:int32][serialized value] per value, through
/// the library's serializer seam.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
internal static class ChunkCodec<T>
{
    private static readonly bool s_raw = !RuntimeHelpers.IsReferenceOrContainsReferences<T>();
    private static readonly int s_size = Unsafe.SizeOf<T>();
    private static IMessageSerializer<T>? s_serializer;

    private static IMessageSerializer<T> Serializer => s_serializer ??= MessageSerializer.For<T>();

    internal static void Encode(ReadOnlySpan<T> values, PoolBuffer output)
    {
        if (s_raw)
        {
            ReadOnlySpan<byte> bytes = MemoryMarshal.CreateReadOnlySpan(
                ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(values)), checked(values.Length * s_size));
            output.Write(bytes);
            return;
        }

        IMessageSerializer<T> serializer = Serializer;
        foreach (T value in values)
        {
            int at = output.Length;
            output.WriteInt32(0);
            serializer.Serialize(value, output);
            output.PatchInt32(at, output.Length - at - 4);
        }
    }

    internal static void EncodeOne(T value, PoolBuffer output) => Encode(new ReadOnlySpan<T>(in value), output);

    /// <summary>Decodes exactly <paramref name="destination"/>.Length values that fill all of <paramref name="source"/>.</summary>
    internal static void Decode(ReadOnlyMemory<byte> source, Span<T> destination)
    {
        if (s_raw)
        {
            if (source.Length != destination.Length * s_size)
            {
                throw PoolFrameReader.Corrupt($"{source.Length} bytes for {destination.Length} values of {s_size} bytes ({TypeNames.Display(typeof(T))})");
            }

            source.Span.CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(destination)), source.Length));
            return;
        }

        IMessageSerializer<T> serializer = Serializer;
        int position = 0;
        for (int i = 0; i < destination.Length; i++)
        {
            if (source.Length - position < 4)
            {
                throw PoolFrameReader.Corrupt($"value {i} of {destination.Length} ({TypeNames.Display(typeof(T))}) is missing");
            }

            int n = BinaryPrimitives.ReadInt32LittleEndian(source.Span[position..]);
            if (n < 0 || n > source.Length - position - 4)
            {
                throw PoolFrameReader.Corrupt($"value {i} of {destination.Length} claims {n} bytes");
            }

            destination[i] = serializer.Deserialize(new ReadOnlySequence<byte>(source.Slice(position + 4, n)));
            position += 4 + n;
        }

        if (position != source.Length)
        {
            throw PoolFrameReader.Corrupt($"{source.Length - position} bytes left after {destination.Length} values");
        }
    }
}
