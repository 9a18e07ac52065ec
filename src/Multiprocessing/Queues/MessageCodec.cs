using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Multiprocessing.Internal;
using Multiprocessing.Serialization;

namespace Multiprocessing.Queues;

/// <summary>
/// Moves a <typeparamref name="T"/> in and out of a <see cref="QueueCore"/>. Reference-free types are copied
/// straight between the value and the ring, <c>byte[]</c> straight between the array and the ring (a tag byte in
/// front, so null is a valid message): one copy each way and, for reference-free types, no allocation. Other types
/// are serialized into a per-thread buffer, then copied in.
/// </summary>
internal sealed class MessageCodec<T>
{
    private const int KeepBufferBytes = 1 << 20;

    private static readonly byte[] s_tags = [0, 1];

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_writer;

    private readonly IMessageSerializer<T> _serializer;
    private readonly Mode _mode;

    internal MessageCodec(MessageSerializerOptions? options)
    {
        _serializer = MessageSerializer.For<T>(options);
        _mode = _serializer is RawValueSerializer<T> ? Mode.Raw
            : _serializer is ByteArraySerializer ? Mode.Bytes
            : Mode.Serialized;
    }

    private enum Mode
    {
        Raw,
        Bytes,
        Serialized,
    }

    internal RingStatus Put(QueueCore core, T item, Deadline deadline, CancellationToken ct, bool finishOnceStarted = false)
    {
        switch (_mode)
        {
            case Mode.Raw:
                return core.Put(default, MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<T, byte>(ref item), Unsafe.SizeOf<T>()), deadline, ct, finishOnceStarted);
            case Mode.Bytes:
                byte[]? array = Unsafe.As<byte[]?>(item);
                return core.Put(s_tags.AsSpan(array is null ? 0 : 1, 1), array, deadline, ct, finishOnceStarted);
            default:
                ArrayBufferWriter<byte> writer = t_writer ??= new ArrayBufferWriter<byte>(256);
                writer.ResetWrittenCount();
                _serializer.Serialize(item, writer);
                try
                {
                    return core.Put(default, writer.WrittenSpan, deadline, ct, finishOnceStarted);
                }
                finally
                {
                    if (writer.Capacity > KeepBufferBytes)
                    {
                        t_writer = null;
                    }
                }
        }
    }

    /// <summary>Puts raw bytes: for <c>byte[]</c> queues the same message as <c>Put(payload.ToArray())</c>, otherwise <typeparamref name="T"/>'s serialized form.</summary>
    internal RingStatus PutBytes(QueueCore core, ReadOnlySpan<byte> payload, Deadline deadline, CancellationToken ct) =>
        core.Put(_mode == Mode.Bytes ? s_tags.AsSpan(1, 1) : default, payload, deadline, ct);

    /// <summary>Takes a message; <paramref name="now"/> takes one only if it is there already.</summary>
    internal RingStatus Get(QueueCore core, out T item, Deadline deadline, CancellationToken ct, bool now = false)
    {
        RingStatus status;
        switch (_mode)
        {
            case Mode.Raw:
            {
                RawSink<T> sink = default;
                status = now ? core.TryGetNow(ref sink) : core.Get(ref sink, deadline, ct);
                if (status == RingStatus.Ok && !sink.IsExact)
                {
                    throw new MessageDeserializationException(
                        typeof(T), $"{sink.Length} bytes, not the {Unsafe.SizeOf<T>()} bytes of a {TypeNames.Display(typeof(T))} (was it put through PutBytes with another layout?)");
                }

                item = status == RingStatus.Ok ? sink.Value : default!;
                return status;
            }

            case Mode.Bytes:
            {
                TaggedArraySink sink = default;
                status = now ? core.TryGetNow(ref sink) : core.Get(ref sink, deadline, ct);
                if (status == RingStatus.Ok && (sink.Length == 0 || sink.Tag is not (0 or 1)))
                {
                    throw new MessageDeserializationException(typeof(byte[]), $"{sink.Length} bytes whose tag is {sink.Tag}, not a byte[] message (tag 0 or 1)");
                }

                item = status == RingStatus.Ok && sink.Tag == 1 ? Unsafe.As<byte[], T>(ref sink.Result!) : default!;
                return status;
            }

            default:
            {
                PooledSink sink = default;
                try
                {
                    status = now ? core.TryGetNow(ref sink) : core.Get(ref sink, deadline, ct);
                    item = status == RingStatus.Ok ? _serializer.Deserialize(sink.Sequence) : default!;
                    return status;
                }
                finally
                {
                    sink.Return();
                }
            }
        }
    }

    /// <summary>Takes a message's bytes into <paramref name="destination"/> (without the tag of a <c>byte[]</c> message).</summary>
    internal RingStatus GetBytes(QueueCore core, Span<byte> destination, out int written, out long needed, Deadline deadline, CancellationToken ct)
    {
        SpanSink sink = new(destination, _mode == Mode.Bytes ? 1 : 0);
        RingStatus status = core.Get(ref sink, deadline, ct);
        written = sink.Written;
        needed = sink.Length;
        return status;
    }

    /// <summary>Takes a message's bytes into an array rented from the shared pool (null unless Ok).</summary>
    internal RingStatus GetBytesPooled(QueueCore core, out IMemoryOwner<byte>? result, Deadline deadline, CancellationToken ct)
    {
        PooledSink pooled = default;
        RingStatus s;
        try
        {
            s = core.Get(ref pooled, deadline, ct);
        }
        catch
        {
            pooled.Return();
            throw;
        }

        if (s != RingStatus.Ok || pooled.Buffer is null)
        {
            pooled.Return();
            result = s == RingStatus.Ok ? RentedBytes.Rent(0) : null;
            return s;
        }

        // A byte[] message starts with its tag byte (0: null, read as no bytes).
        int skip = _mode == Mode.Bytes ? Math.Min(1, pooled.Length) : 0;
        result = RentedBytes.Adopt(pooled.Buffer, skip, pooled.Length - skip);
        return s;
    }

    /// <summary>Takes a message's bytes into a new array.</summary>
    internal RingStatus GetBytes(QueueCore core, out byte[] result, Deadline deadline, CancellationToken ct)
    {
        if (_mode == Mode.Bytes)
        {
            TaggedArraySink sink = default;
            RingStatus s = core.Get(ref sink, deadline, ct);
            result = s == RingStatus.Ok ? sink.Result ?? [] : [];
            return s;
        }

        PooledSink pooled = default;
        try
        {
            RingStatus s = core.Get(ref pooled, deadline, ct);
            result = s == RingStatus.Ok ? pooled.Span.ToArray() : [];
            return s;
        }
        finally
        {
            pooled.Return();
        }
    }
}
