using System.Buffers;

namespace Multiprocessing.Serialization;

/// <summary>
/// Turns a <typeparamref name="T"/> into bytes and back. Writes into a caller-supplied buffer, so queues and pipes
/// serialize straight into shared memory without an intermediate array.
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
public interface IMessageSerializer<T>
{
    /// <summary>Writes <paramref name="value"/> to <paramref name="destination"/>.</summary>
    void Serialize(T value, IBufferWriter<byte> destination);

    /// <summary>Reads one value that fills all of <paramref name="source"/>.</summary>
    /// <exception cref="MessageDeserializationException">The bytes are not a <typeparamref name="T"/>.</exception>
    T Deserialize(ReadOnlySequence<byte> source);
}
