using Multiprocessing.Pipes;
using Multiprocessing.Serialization;

namespace Multiprocessing;

/// <summary>
/// Python's <c>multiprocessing.Pipe()</c> over shared memory: two connected <see cref="Connection{T}"/> ends, one
/// lock-free ring per direction, futex wake-ups only when the other side sleeps. Pass one end to a worker as an
/// argument; the peer of an end whose process exits (even by <c>kill -9</c>) reads end-of-stream.
/// </summary>
public static class Pipe
{
    /// <summary>The default ring size per direction, in bytes (256 KiB). Larger messages stream through the ring.</summary>
    public const int DefaultBufferSize = 256 * 1024;

    /// <summary>Creates a duplex pipe (Python's <c>Pipe(duplex=True)</c>): both ends send and receive.</summary>
    /// <param name="bufferSize">Bytes per direction, a power of two from 4096; messages larger than this still pass, in chunks.</param>
    /// <param name="serializer">How messages are serialized; the default needs no configuration.</param>
    public static (Connection<T> First, Connection<T> Second) Create<T>(int bufferSize = DefaultBufferSize, MessageSerializerOptions? serializer = null)
    {
        SharedPipe pipe = SharedPipe.Create(ShmPipeTransport.CheckCapacity(bufferSize), duplex: true, Tag<T>());
        return (new Connection<T>(new ShmPipeTransport(pipe, 0), serializer), new Connection<T>(new ShmPipeTransport(pipe, 1), serializer));
    }

    /// <summary>
    /// Creates a one-way pipe (Python's <c>Pipe(duplex=False)</c>): <c>Reader</c> only receives, <c>Writer</c> only sends.
    /// </summary>
    /// <param name="bufferSize">Bytes in the ring, a power of two from 4096; messages larger than this still pass, in chunks.</param>
    /// <param name="serializer">How messages are serialized; the default needs no configuration.</param>
    public static (Connection<T> Reader, Connection<T> Writer) CreateOneWay<T>(int bufferSize = DefaultBufferSize, MessageSerializerOptions? serializer = null)
    {
        SharedPipe pipe = SharedPipe.Create(ShmPipeTransport.CheckCapacity(bufferSize), duplex: false, Tag<T>());
        Connection<T> writer = new(new ShmPipeTransport(pipe, 0), serializer);
        return (new Connection<T>(new ShmPipeTransport(pipe, 1), serializer), writer);
    }

    /// <summary>Opens a pipe end passed from another process, making this process its holder.</summary>
    internal static Connection<T> OpenEnd<T>(string endName, MessageSerializerOptions? serializer)
    {
        SharedPipe pipe = SharedPipe.Open(endName, Tag<T>(), out int end);
        ShmPipeTransport transport = new(pipe, end);
        try
        {
            pipe.TakeOver(end);
        }
        catch
        {
            transport.Close();
            throw;
        }

        return new Connection<T>(transport, serializer);
    }

    private static string Tag<T>() => TypeNames.Tag(typeof(T));
}
