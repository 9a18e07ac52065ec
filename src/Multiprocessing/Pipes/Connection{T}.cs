using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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

    /// <summary>Reference-free types up to this size skip the serializer: the same raw bytes, without a buffer writer.</summary>
    private const int RawFastPathLimit = 256;

    private static readonly int s_rawSize = MessageSerializer.IsRaw<T>() ? Unsafe.SizeOf<T>() : int.MaxValue;

    private readonly IMessageSerializer<T> _serializer;
    private readonly Func<ReadOnlySequence<byte>, T> _deserialize;
    private readonly MessageSerializerOptions? _options;
    private readonly bool _rawFast;

    /// <summary>The transport when it is a shared-memory pipe end: called directly (not virtually) on the raw fast path.</summary>
    private readonly ShmPipeTransport? _shm;
    private ArrayBufferWriter<byte>? _writer;

    internal Connection(ConnectionTransport transport, MessageSerializerOptions? options)
        : base(transport)
    {
        _options = options;
        _serializer = MessageSerializer.For<T>(options);
        _deserialize = _serializer.Deserialize;
        _rawFast = s_rawSize <= RawFastPathLimit && (options is null || options.AllowedTypes.Count == 0);
        _shm = transport as ShmPipeTransport;
    }

    /// <summary>Serializes <paramref name="item"/> and sends it as one message (Python's <c>send</c>).</summary>
    /// <exception cref="ConnectionBrokenException">The peer has closed its end or exited.</exception>
    /// <exception cref="ObjectDisposedException">This end is closed.</exception>
    public void Send(T item)
    {
        if (_rawFast)
        {
            Span<byte> raw = stackalloc byte[s_rawSize];
            Unsafe.WriteUnaligned(ref MemoryMarshal.GetReference(raw), item);
            if (_shm is { } shm)
            {
                shm.Send(raw);
            }
            else
            {
                Transport.Send(raw);
            }

            return;
        }

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
        T item;
        _ = _rawFast ? ReceiveRaw(Deadline.Infinite, out item) : ReceiveWith(Deadline.Infinite, _deserialize, out item);
        return item;
    }

    /// <summary>Receives the next message if one arrives within <paramref name="timeout"/>.</summary>
    /// <returns>False if the timeout passed first.</returns>
    /// <exception cref="EndOfStreamException">The peer is gone and every message it sent has been received.</exception>
    public bool TryReceive([MaybeNullWhen(false)] out T item, TimeSpan timeout)
    {
        return _rawFast ? ReceiveRaw(Deadline.After(timeout), out item!) : ReceiveWith(Deadline.After(timeout), _deserialize, out item);
    }

    /// <summary>Receives the next message without blocking a thread while waiting.</summary>
    /// <exception cref="EndOfStreamException">The peer is gone and every message it sent has been received.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; no message was consumed.</exception>
    public async ValueTask<T> ReceiveAsync(CancellationToken ct = default)
    {
        int length = await Transport.WaitMessageAsync(ct).ConfigureAwait(false);
        return ReadWith(length, _deserialize);
    }

    private bool ReceiveRaw(Deadline deadline, out T item)
    {
        Span<byte> raw = stackalloc byte[s_rawSize];
        int r = _shm is { } shm ? shm.ReceiveInto(raw, deadline) : Transport.ReceiveInto(raw, deadline);
        if (r == s_rawSize)
        {
            item = Unsafe.ReadUnaligned<T>(ref MemoryMarshal.GetReference(raw));
            return true;
        }

        if (r == -1)
        {
            item = default!;
            return false;
        }

        // A message of another size: let the serializer consume it and report what it is.
        item = r >= 0 ? _serializer.Deserialize(new ReadOnlySequence<byte>(raw[..r].ToArray())) : ReadWith(-2 - r, _deserialize);
        return true;
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
