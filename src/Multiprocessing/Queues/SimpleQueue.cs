using System.Runtime.CompilerServices;
using Multiprocessing.Internal;
using Multiprocessing.Queues;
using Multiprocessing.Serialization;

namespace Multiprocessing;

/// <summary>
/// Python's <c>multiprocessing.SimpleQueue</c>: put, get, empty, close; no size limit in messages (the ring's bytes
/// bound it), no join. Same ring, same guarantees as <see cref="SharedQueue{T}"/>.
/// </summary>
/// <typeparam name="T">The message type (see <see cref="SharedQueue{T}"/>).</typeparam>
public sealed class SimpleQueue<T> : IDisposable, Processes.ISharedObject<SimpleQueue<T>>
{
    private readonly QueueCore _core;
    private readonly MessageCodec<T> _codec;

    private SimpleQueue(QueueCore core, MessageSerializerOptions? serialization)
    {
        _core = core;
        _codec = new MessageCodec<T>(serialization);
    }

    /// <summary>Creates an anonymous queue of <paramref name="ringBytes"/> bytes (pass it to workers as an argument).</summary>
    public static SimpleQueue<T> Create(long ringBytes = 1 << 20) => Create(SegmentNames.NewAnonymous("squeue"), ringBytes);

    /// <summary>Creates a queue named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '.', '_', '-'.</exception>
    /// <exception cref="IOException">The name is taken.</exception>
    public static SimpleQueue<T> Create(string name, long ringBytes = 1 << 20) =>
        new(QueueCore.Create(name, SegmentKind.SimpleQueue, TypeNames.Tag(typeof(T)), new SharedQueueOptions { RingBytes = ringBytes }, joinable: false), null);

    /// <summary>Opens the queue named <paramref name="name"/>.</summary>
    /// <exception cref="FileNotFoundException">No such name.</exception>
    /// <exception cref="WrongKindException">The name holds another kind of object, or a queue of another element type.</exception>
    public static SimpleQueue<T> Open(string name) => new(QueueCore.Open(name, SegmentKind.SimpleQueue, TypeNames.Tag(typeof(T))), null);

    static SimpleQueue<T> Processes.ISharedObject<SimpleQueue<T>>.OpenShared(string name) => Open(name);

    /// <summary>The name other processes open it by.</summary>
    public string Name => _core.Name;

    /// <summary>Python's <c>empty()</c>.</summary>
    public bool IsEmpty => _core.Count == 0;

    /// <summary>Adds <paramref name="item"/>; when it returns, the message is in shared memory.</summary>
    /// <exception cref="QueueClosedException">The queue was closed.</exception>
    public void Put(T item)
    {
        _core.ThrowIfDisposed();
        if (_codec.Put(_core, item, Deadline.Infinite, default) == RingStatus.Closed)
        {
            throw new QueueClosedException(Name, forGet: false);
        }
    }

    /// <summary>Removes and returns the next message, waiting for one.</summary>
    /// <exception cref="QueueClosedException">The queue is closed and empty.</exception>
    public T Get()
    {
        _core.ThrowIfDisposed();
        return _codec.Get(_core, out T item, Deadline.Infinite, default) == RingStatus.Closed
            ? throw new QueueClosedException(Name, forGet: true)
            : item;
    }

    /// <summary>Removes the next message if one comes before <paramref name="timeout"/>; false on timeout or when closed and empty.</summary>
    public bool TryGet(out T item, TimeSpan timeout)
    {
        _core.ThrowIfDisposed();
        return _codec.Get(_core, out item, Deadline.After(timeout), default) == RingStatus.Ok;
    }

    /// <summary>Closes the queue for every process (see <see cref="SharedQueue{T}.Close"/>).</summary>
    public void Close() => _core.Close();

    /// <summary>Removes the name; only the creator may.</summary>
    public void Unlink() => _core.Unlink();

    /// <summary>Closes this process's view.</summary>
    public void Dispose() => _core.Dispose();
}
