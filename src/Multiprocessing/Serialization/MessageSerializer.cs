using System.Runtime.CompilerServices;

namespace Multiprocessing.Serialization;

/// <summary>Picks the serializer for a message type.</summary>
public static class MessageSerializer
{
    /// <summary>
    /// The default serializer for <typeparamref name="T"/>: a raw copy for types without references (int, double,
    /// unmanaged structs), raw UTF-16 for <see cref="string"/>, raw bytes for <see cref="byte"/>[], and contractless
    /// MessagePack for everything else.
    /// </summary>
    public static IMessageSerializer<T> For<T>(MessageSerializerOptions? options = null)
    {
        options ??= MessageSerializerOptions.Default;
        if (options.AllowedTypes.Count == 0)
        {
            if (!RuntimeHelpers.IsReferenceOrContainsReferences<T>())
            {
                return new RawValueSerializer<T>();
            }

            if (typeof(T) == typeof(string))
            {
                return (IMessageSerializer<T>)(object)new StringSerializer();
            }

            if (typeof(T) == typeof(byte[]))
            {
                return (IMessageSerializer<T>)(object)new ByteArraySerializer();
            }
        }

        return new MessagePackMessageSerializer<T>(options);
    }

    /// <summary>True when <typeparamref name="T"/> travels as a raw copy of its bytes.</summary>
    internal static bool IsRaw<T>() => !RuntimeHelpers.IsReferenceOrContainsReferences<T>();
}
