using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Multiprocessing.Serialization;

/// <summary>Types without references (int, double, unmanaged structs): their bytes, copied as they are.</summary>
internal sealed class RawValueSerializer<T> : IMessageSerializer<T>
{
    internal static readonly int Size = Unsafe.SizeOf<T>();

    public void Serialize(T value, IBufferWriter<byte> destination)
    {
        Span<byte> span = destination.GetSpan(Size);
        Unsafe.WriteUnaligned(ref MemoryMarshal.GetReference(span), value);
        destination.Advance(Size);
    }

    public T Deserialize(ReadOnlySequence<byte> source)
    {
        if (source.Length != Size)
        {
            throw new MessageDeserializationException(typeof(T), $"{source.Length} bytes, not the {Size} bytes of a {TypeNames.Display(typeof(T))}");
        }

        if (source.IsSingleSegment)
        {
            return Unsafe.ReadUnaligned<T>(ref MemoryMarshal.GetReference(source.FirstSpan));
        }

        Span<byte> copy = stackalloc byte[Size];
        source.CopyTo(copy);
        return Unsafe.ReadUnaligned<T>(ref MemoryMarshal.GetReference(copy));
    }
}

/// <summary>
/// Strings and byte arrays travel raw behind a one-byte tag (0: null, 1: value), so null can be a poison pill.
/// Strings are UTF-16, a plain memory copy each way.
/// </summary>
internal sealed class StringSerializer : IMessageSerializer<string?>
{
    public void Serialize(string? value, IBufferWriter<byte> destination)
    {
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes((value ?? string.Empty).AsSpan());
        Span<byte> span = destination.GetSpan(1 + bytes.Length);
        span[0] = value is null ? (byte)0 : (byte)1;
        bytes.CopyTo(span[1..]);
        destination.Advance(1 + bytes.Length);
    }

    public string? Deserialize(ReadOnlySequence<byte> source)
    {
        if (source.Length == 0 || source.FirstSpan[0] > 1 || source.Length % 2 != 1)
        {
            throw new MessageDeserializationException(typeof(string), RawTag.Describe(source));
        }

        if (source.FirstSpan[0] == 0)
        {
            return null;
        }

        ReadOnlySequence<byte> body = source.Slice(1);
        return string.Create((int)(body.Length / 2), body, static (chars, b) => b.CopyTo(MemoryMarshal.AsBytes(chars)));
    }
}

/// <summary>See <see cref="StringSerializer"/>.</summary>
internal sealed class ByteArraySerializer : IMessageSerializer<byte[]?>
{
    public void Serialize(byte[]? value, IBufferWriter<byte> destination)
    {
        int length = value?.Length ?? 0;
        Span<byte> span = destination.GetSpan(1 + length);
        span[0] = value is null ? (byte)0 : (byte)1;
        value?.CopyTo(span[1..]);
        destination.Advance(1 + length);
    }

    public byte[]? Deserialize(ReadOnlySequence<byte> source)
    {
        if (source.Length == 0 || source.FirstSpan[0] > 1)
        {
            throw new MessageDeserializationException(typeof(byte[]), RawTag.Describe(source));
        }

        return source.FirstSpan[0] == 0 ? null : source.Slice(1).ToArray();
    }
}

internal static class RawTag
{
    internal static string Describe(ReadOnlySequence<byte> source)
    {
        if (source.Length == 0)
        {
            return "empty";
        }

        byte[] head = source.Slice(0, Math.Min(8, source.Length)).ToArray();
        return $"{source.Length} bytes starting {Convert.ToHexString(head)}, not a raw string/byte-array record (tag 0 or 1)";
    }

    internal static string Utf8Preview(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes[..Math.Min(bytes.Length, 32)]);
}
