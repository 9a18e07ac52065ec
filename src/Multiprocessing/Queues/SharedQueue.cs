using System.Buffers;
using System.Runtime.CompilerServices;
using Multiprocessing.Internal;
using Multiprocessing.Queues;
using Multiprocessing.Serialization;

namespace Multiprocessing;

/// <summary>
/// Python's <c>multiprocessing.Queue</c>: a first-in first-out queue between any processes, many producers and many
/// consumers, over a ring in shared memory. When <see cref="Put"/> returns, the message is in shared memory (a
/// producer that exits right after loses nothing); a process killed in the middle of a put or a get leaves no
/// partial message and no lock held. Messages of any size go through (larger than the ring: streamed in chunks).
/// <para>
/// The creator owns the name: it is removed by <see cref="Unlink"/> or when the creator exits. <see cref="Dispose()"/>
/// closes this process's view only. Pass the queue to a worker as an argument and it is reopened there by name;
/// an unrelated program can attach with <see cref="Open(string)"/>.
/// </para>
/// </summary>
/// <typeparam name="T">
/// The message type: reference-free types (int, structs) are copied raw, <c>string</c> and <c>byte[]</c> too, others go
/// through MessagePack. <c>null</c> is a valid message (a poison pill) for reference and nullable types.
/// </typeparam>
public class SharedQueue<T> : IDisposable, Processes.ISharedObject<SharedQueue<T>>
{
    private protected SharedQueue(QueueCore core, MessageSerializerOptions? serialization)
    {
        Core = core;
        Codec = new MessageCodec<T>(serialization);
    }

    private protected QueueCore Core { get; }

    private protected MessageCodec<T> Codec { get; }

    /// <summary>Creates an anonymous queue (pass it to workers as an argument).</summary>
    public static SharedQueue<T> Create(SharedQueueOptions? options = null) => Create(SegmentNames.NewAnonymous("queue"), options);

    /// <summary>Creates a queue named <paramref name="name"/>, which other programs can <see cref="Open(string)"/>.</summary>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '.', '_', '-'.</exception>
    /// <exception cref="IOException">The name is taken.</exception>
    public static SharedQueue<T> Create(string name, SharedQueueOptions? options = null)
    {
        options ??= SharedQueueOptions.Default;
        return new SharedQueue<T>(QueueCore.Create(name, SegmentKind.Queue, TypeNames.Tag(typeof(T)), options, joinable: false), options.Serialization);
    }

    /// <summary>Opens the queue named <paramref name="name"/>.</summary>
    /// <exception cref="FileNotFoundException">No such name.</exception>
    /// <exception cref="WrongKindException">The name holds another kind of object, or a queue of another element type.</exception>
    public static SharedQueue<T> Open(string name) => Open(name, null);

    /// <summary>Opens the queue named <paramref name="name"/> with serializer options (for example allowed types).</summary>
    public static SharedQueue<T> Open(string name, MessageSerializerOptions? serialization) =>
        new(QueueCore.Open(name, SegmentKind.Queue, TypeNames.Tag(typeof(T))), serialization);

    static SharedQueue<T> Processes.ISharedObject<SharedQueue<T>>.OpenShared(string name) => Open(name);

    internal static SharedQueue<T> CreateForTest(string name, SharedQueueOptions options, ulong start) =>
        new(QueueCore.Create(name, SegmentKind.Queue, TypeNames.Tag(typeof(T)), options, joinable: false, start), options.Serialization);

    /// <summary>The name other processes open it by.</summary>
    public string Name => Core.Name;

    /// <summary>True in the process that created the queue.</summary>
    public bool IsOwner => Core.IsOwner;

    /// <summary>Python's <c>maxsize</c>; 0 when only the ring's bytes bound the queue.</summary>
    public int MaxSize => (int)Core.MaxSize;

    /// <summary>The ring's size in bytes.</summary>
    public long RingBytes => Core.Ring.Capacity;

    /// <summary>Python's <c>qsize()</c>: the number of messages in the queue, approximate while others use it.</summary>
    public int Count => (int)Math.Min(int.MaxValue, Core.Count);

    /// <summary>Python's <c>empty()</c>: true if the queue holds no message (approximate while others use it).</summary>
    public bool IsEmpty => Core.Count == 0;

    /// <summary>Python's <c>full()</c>: true if <see cref="MaxSize"/> is set and reached (approximate).</summary>
    public bool IsFull => Core.MaxSize > 0 && Core.Count >= Core.MaxSize;

    /// <summary>True once <see cref="Close"/> was called by any process.</summary>
    public bool IsClosed => Core.IsClosed;

    /// <summary>
    /// Adds <paramref name="item"/>, waiting while the queue is full. When it returns, the message is in shared memory.
    /// </summary>
    /// <exception cref="QueueClosedException">The queue was closed.</exception>
    public void Put(T item)
    {
        ThrowIfDisposed();
        _ = Check(Codec.Put(Core, item, Deadline.Infinite, default), forGet: false);
    }

    /// <summary>Adds <paramref name="item"/> if there is room before <paramref name="timeout"/>; false otherwise (nothing was added).</summary>
    /// <exception cref="QueueClosedException">The queue was closed.</exception>
    public bool TryPut(T item, TimeSpan timeout)
    {
        ThrowIfDisposed();
        return Check(Codec.Put(Core, item, Deadline.After(timeout), default), forGet: false);
    }

    /// <summary>
    /// Adds <paramref name="item"/>, waiting asynchronously while the queue is full (no thread is blocked while it
    /// waits; a message larger than a quarter of the ring is then streamed synchronously).
    /// </summary>
    /// <exception cref="QueueClosedException">The queue was closed.</exception>
    public ValueTask PutAsync(T item, CancellationToken ct = default)
    {
        ThrowIfDisposed();
        if (ct.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(ct);
        }

        return Codec.Put(Core, item, Deadline.After(TimeSpan.Zero), ct, finishOnceStarted: true) switch
        {
            RingStatus.Ok => ValueTask.CompletedTask,
            RingStatus.Closed => ValueTask.FromException(new QueueClosedException(Name, forGet: false)),
            _ => PutSlowAsync(item, ct),
        };
    }

    private async ValueTask PutSlowAsync(T item, CancellationToken ct)
    {
        while (true)
        {
            ulong head = Core.Ring.Head;
            if (Check(Codec.Put(Core, item, Deadline.After(TimeSpan.Zero), ct, finishOnceStarted: true), forGet: false))
            {
                return;
            }

            // Space is freed (Head moves) by consumers; the slice also covers a write lock that was busy.
            await Core.Ring.WaitForHeadChangeAsync(head, TimeSpan.FromMilliseconds(10), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Removes and returns the next message, waiting for one.</summary>
    /// <exception cref="QueueClosedException">The queue is closed and empty.</exception>
    /// <exception cref="MessageDeserializationException">The message is not a <typeparamref name="T"/> (it is consumed).</exception>
    public T Get()
    {
        ThrowIfDisposed();
        _ = Check(Codec.Get(Core, out T item, Deadline.Infinite, default), forGet: true);
        return item;
    }

    /// <summary>Removes the next message if one comes before <paramref name="timeout"/>; false on timeout, or when the queue is closed and empty.</summary>
    public bool TryGet(out T item, TimeSpan timeout)
    {
        ThrowIfDisposed();
        RingStatus s = Codec.Get(Core, out item, Deadline.After(timeout), default);
        return s != RingStatus.Closed && Check(s, forGet: true);
    }

    /// <summary>Removes and returns the next message, waiting asynchronously (no thread is blocked while it waits).</summary>
    /// <exception cref="QueueClosedException">The queue is closed and empty.</exception>
    public ValueTask<T> GetAsync(CancellationToken ct = default)
    {
        ThrowIfDisposed();
        if (ct.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(ct);
        }

        return Codec.Get(Core, out T item, default, ct, now: true) switch
        {
            RingStatus.Ok => new ValueTask<T>(item),
            RingStatus.Closed => ValueTask.FromException<T>(new QueueClosedException(Name, forGet: true)),
            _ => GetSlowAsync(ct),
        };
    }

    private async ValueTask<T> GetSlowAsync(CancellationToken ct)
    {
        (bool got, T item) = await TryGetAsyncCore(ct).ConfigureAwait(false);
        return got ? item : throw new QueueClosedException(Name, forGet: true);
    }

    /// <summary>Waits for the next message; (false, default) once the queue is closed and drained.</summary>
    private async ValueTask<(bool, T)> TryGetAsyncCore(CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            RingStatus s = Codec.Get(Core, out T item, default, ct, now: true);
            if (s == RingStatus.Ok)
            {
                return (true, item);
            }

            if (s == RingStatus.Closed)
            {
                return (false, default!);
            }

            _ = await Core.WaitForDataAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Every message until the queue is closed and drained, as an async stream.</summary>
    public async IAsyncEnumerable<T> ReadAllAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        ThrowIfDisposed();
        while (true)
        {
            (bool got, T item) = await TryGetAsyncCore(ct).ConfigureAwait(false);
            if (!got)
            {
                yield break;
            }

            yield return item;
        }
    }

    /// <summary>
    /// Puts raw bytes without allocating: for a <c>SharedQueue&lt;byte[]&gt;</c> the same message as
    /// <c>Put(payload.ToArray())</c>; for other types, bytes that must be a serialized <typeparamref name="T"/>.
    /// </summary>
    /// <exception cref="QueueClosedException">The queue was closed.</exception>
    public void PutBytes(ReadOnlySpan<byte> payload)
    {
        ThrowIfDisposed();
        _ = Check(Codec.PutBytes(Core, payload, Deadline.Infinite, default), forGet: false);
    }

    /// <summary>Like <see cref="PutBytes"/>, giving up after <paramref name="timeout"/>; false if nothing was added.</summary>
    public bool TryPutBytes(ReadOnlySpan<byte> payload, TimeSpan timeout)
    {
        ThrowIfDisposed();
        return Check(Codec.PutBytes(Core, payload, Deadline.After(timeout), default), forGet: false);
    }

    /// <summary>
    /// Takes the next message's bytes into <paramref name="destination"/> without allocating and returns how many
    /// there are (for a <c>SharedQueue&lt;byte[]&gt;</c>, the array's bytes; a null array reads as 0 bytes).
    /// </summary>
    /// <exception cref="ArgumentException">The message is larger than <paramref name="destination"/>; it stays in the queue.</exception>
    /// <exception cref="QueueClosedException">The queue is closed and empty.</exception>
    public int GetBytes(Span<byte> destination)
    {
        ThrowIfDisposed();
        RingStatus s = Codec.GetBytes(Core, destination, out int written, out long needed, Deadline.Infinite, default);
        if (s == RingStatus.Refused)
        {
            throw new ArgumentException(RefusedMessage(needed, destination.Length), nameof(destination));
        }

        _ = Check(s, forGet: true);
        return written;
    }

    /// <summary>Like <see cref="GetBytes(Span{byte})"/>, giving up after <paramref name="timeout"/> (false), or when the queue is closed and empty.</summary>
    public bool TryGetBytes(Span<byte> destination, out int written, TimeSpan timeout)
    {
        ThrowIfDisposed();
        RingStatus s = Codec.GetBytes(Core, destination, out written, out long needed, Deadline.After(timeout), default);
        if (s == RingStatus.Refused)
        {
            throw new ArgumentException(RefusedMessage(needed, destination.Length), nameof(destination));
        }

        return s != RingStatus.Closed && Check(s, forGet: true);
    }

    /// <summary>
    /// Takes the next message's bytes into a buffer rented from <see cref="ArrayPool{T}.Shared"/> (for a
    /// <c>SharedQueue&lt;byte[]&gt;</c>, the array's bytes; a null array reads as 0 bytes). The result's
    /// <see cref="IMemoryOwner{T}.Memory"/> is exactly those bytes; dispose it to give the buffer back. No allocation
    /// per message and no maximum size to know: the fast path for large messages of varying size.
    /// </summary>
    /// <exception cref="QueueClosedException">The queue is closed and empty.</exception>
    public IMemoryOwner<byte> GetBytesPooled()
    {
        ThrowIfDisposed();
        _ = Check(Codec.GetBytesPooled(Core, out IMemoryOwner<byte>? result, Deadline.Infinite, default), forGet: true);
        return result!;
    }

    /// <summary>Takes the next message's bytes into a new array.</summary>
    /// <exception cref="QueueClosedException">The queue is closed and empty.</exception>
    public byte[] GetBytes()
    {
        ThrowIfDisposed();
        _ = Check(Codec.GetBytes(Core, out byte[] result, Deadline.Infinite, default), forGet: true);
        return result;
    }

    /// <summary>
    /// Closes the queue for every process: puts fail from now on (a put blocked on a full queue fails within 50 ms);
    /// consumers take what is there, then <see cref="Get"/> throws <see cref="QueueClosedException"/>,
    /// <see cref="TryGet"/> returns false and <see cref="ReadAllAsync"/> ends.
    /// </summary>
    public void Close()
    {
        ThrowIfDisposed();
        Core.Close();
    }

    /// <summary>Removes the name so no new process can open it; open views stay valid. Only the creator may unlink.</summary>
    /// <exception cref="InvalidOperationException">This process opened the queue rather than creating it.</exception>
    public void Unlink() => Core.Unlink();

    /// <summary>Closes this process's view (not the queue: see <see cref="Close"/>; not the name: see <see cref="Unlink"/>).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the view.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Core.Dispose();
        }
    }

    private protected void ThrowIfDisposed() => Core.ThrowIfDisposed();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected bool Check(RingStatus s, bool forGet) =>
        s == RingStatus.Ok || (s is not (RingStatus.TimedOut or RingStatus.Empty) && ThrowFor(s, forGet));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool ThrowFor(RingStatus s, bool forGet) => s == RingStatus.Closed
        ? throw new QueueClosedException(Name, forGet)
        : throw new InvalidOperationException($"Unexpected status {s} on the queue '{Name}'.");

    private string RefusedMessage(long needed, int have) =>
        $"The next message of the queue '{Name}' is {needed} bytes but the destination holds {have}; it stays in the queue: pass a larger span, or call GetBytes().";
}
