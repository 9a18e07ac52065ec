using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Multiprocessing.Internal;
using Multiprocessing.Pipes;
using Multiprocessing.Processes;
using Multiprocessing.Serialization;

namespace Multiprocessing;

/// <summary>
/// A connection that carries messages of type <typeparamref name="T"/>, serialized by
/// <see cref="MessageSerializer.For{T}(MessageSerializerOptions?)"/>. Made by <see cref="Pipe.Create{T}(int, MessageSerializerOptions?)"/>,
/// <see cref="Listener.Accept{T}"/> or <see cref="Client.Connect{T}"/>. A pipe end can be passed to a worker as an
/// argument; it is reopened there, and the worker becomes the holder whose exit the peer sees as end-of-stream.
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
public sealed class Connection<T> : Connection, ISharedObject<Connection<T>>
{
    private const int KeptWriterLimit = 1 << 20;

    private readonly IMessageSerializer<T> _serializer;
    private readonly Func<ReadOnlySequence<byte>, T> _deserialize;
    private readonly MessageSerializerOptions? _options;
    private ArrayBufferWriter<byte>? _writer;

    internal Connection(ConnectionTransport transport, MessageSerializerOptions? options)
        : base(transport)
    {
        _options = options;
        _serializer = MessageSerializer.For<T>(options);
        _deserialize = _serializer.Deserialize;
    }

    /// <summary>Serializes <paramref name="item"/> and sends it as one message (Python's <c>send</c>).</summary>
    /// <exception cref="ConnectionBrokenException">The peer has closed its end or exited.</exception>
    /// <exception cref="ObjectDisposedException">This end is closed.</exception>
    public void Send(T item)
    {
        ArrayBufferWriter<byte> writer = _writer ??= new ArrayBufferWriter<byte>(256);
        writer.ResetWrittenCount();
        _serializer.Serialize(item, writer);
        Transport.Send(writer.WrittenSpan);
        if (writer.Capacity > KeptWriterLimit)
        {
            // Do not keep a huge buffer alive because of one large message.
            _writer = null;
        }
    }

    /// <summary>Receives the next message, waiting as long as it takes (Python's <c>recv</c>).</summary>
    /// <exception cref="EndOfStreamException">The peer is gone and every message it sent has been received.</exception>
    /// <exception cref="MessageDeserializationException">The message is not a <typeparamref name="T"/> (it is consumed).</exception>
    public T Receive()
    {
        int length = Transport.WaitMessage(Deadline.Infinite, default);
        return ReadWith(length, _deserialize);
    }

    /// <summary>Receives the next message if one arrives within <paramref name="timeout"/>.</summary>
    /// <returns>False if the timeout passed first.</returns>
    /// <exception cref="EndOfStreamException">The peer is gone and every message it sent has been received.</exception>
    public bool TryReceive([MaybeNullWhen(false)] out T item, TimeSpan timeout)
    {
        int length = Transport.WaitMessage(Deadline.After(timeout), default);
        if (length < 0)
        {
            item = default;
            return false;
        }

        item = ReadWith(length, _deserialize);
        return true;
    }

    /// <summary>Receives the next message without blocking a thread while waiting.</summary>
    /// <exception cref="EndOfStreamException">The peer is gone and every message it sent has been received.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; no message was consumed.</exception>
    public async ValueTask<T> ReceiveAsync(CancellationToken ct = default)
    {
        int length = await Transport.WaitMessageAsync(ct).ConfigureAwait(false);
        return ReadWith(length, _deserialize);
    }

    string ISharedObject<Connection<T>>.Name => Transport switch
    {
        ShmPipeTransport shm => shm.BeginHandoff(),
        _ => throw new NotSupportedException(
            $"The {Transport.Description} cannot be passed to a worker; pass the listener's address instead and connect with Client.Connect in the worker."),
    };

    static Connection<T> ISharedObject<Connection<T>>.OpenShared(string name) => Pipe.OpenEnd<T>(name, null);

    internal MessageSerializerOptions? SerializerOptions => _options;
}
