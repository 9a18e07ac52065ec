using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using Multiprocessing.Interop;

namespace Multiprocessing.Internal;

/// <summary>
/// A byte ring of length-prefixed records in shared memory: a <see cref="RingHeader"/> plus a power-of-two data
/// area, both inside a segment. Queues and pipes are built on it.
/// <para>
/// <b>Records.</b> Each record is an 8-byte header {uint length, ushort kind, ushort check} followed by the
/// payload, padded to 8 bytes; payloads may wrap around the end of the data area (headers never do). A message
/// up to <see cref="MaxWholePayload"/> bytes is one record; a larger one is streamed as First/Middle/Last chunks,
/// so any size goes through any ring (1 GiB through 1 MiB), producer and consumer copying in parallel.
/// </para>
/// <para>
/// <b>Crash safety.</b> A writer reserves space, writes the record, then publishes it with one atomic store of
/// <see cref="RingHeader.Tail"/>; a reader copies a record out, then frees it with one atomic store of
/// <see cref="RingHeader.Head"/>. A process killed anywhere leaves no partial record visible and loses at most the
/// record it was taking. The message counters are journaled so that the next holder of an abandoned lock rolls
/// back a count whose publish never happened (<see cref="RecoverWriter"/>, <see cref="RecoverReader"/>). A
/// stream whose producer dies or gives up is discarded by the reader (the <c>OpenStream</c> word and the
/// producer's pid, checked every 50 ms while a reader waits for the next chunk).
/// </para>
/// <para>
/// <b>Single producer, single consumer (one ring per pipe direction).</b> Use <see cref="Write(ReadOnlySpan{byte}, Deadline, CancellationToken)"/> and
/// <see cref="TryRead{TSink}"/> directly and never touch the locks: positions are only ever stored by their one
/// owner, so no lock and no recovery is needed. The cost per message is then one copy in, one copy out, one
/// atomic exchange on each side, and a futex wake only when the other side sleeps (the waiter counts). Wait for
/// data with <see cref="WaitForData"/> (or <see cref="WaitForDataAsync"/>), then call <see cref="TryRead{TSink}"/>.
/// Detect a dead peer yourself (a pipe records each end's pid) and call <see cref="Close"/> from the writing end
/// for end-of-stream.
/// </para>
/// <para>
/// <b>Many producers and consumers.</b> Hold <see cref="EnterWrite"/>/<see cref="ExitWrite"/> around
/// <see cref="Write(ReadOnlySpan{byte}, Deadline, CancellationToken)"/> and <see cref="EnterRead"/>/<see cref="ExitRead"/> around <see cref="TryRead{TSink}"/>;
/// wait for data without the read lock (<see cref="WaitForData"/>), so that the lock is held only while copying.
/// </para>
/// <para>
/// A <see cref="SharedRing"/> object keeps per-process cached positions and is used by one thread at a time per
/// side (the locks, or the single-producer/single-consumer discipline, guarantee that).
/// </para>
/// </summary>
internal sealed unsafe partial class SharedRing
{
    internal const int RecordHeaderSize = 8;
    internal const long MinCapacity = 4096;

    /// <summary>Upper bound on the data area: record lengths are 32-bit.</summary>
    internal const long MaxCapacity = 1L << 30;

    internal const ushort KindWhole = 1;
    internal const ushort KindFirst = 2;
    internal const ushort KindMiddle = 3;
    internal const ushort KindLast = 4;
    internal const ushort KindClose = 5;

    /// <summary>First chunk prefix: {long total length, ulong stream id, int producer pid, int reserved}.</summary>
    private const int FirstPrefix = 24;

    /// <summary>Middle and last chunk prefix: {ulong stream id}.</summary>
    private const int ChunkPrefix = 8;

    /// <summary>While a waiter sleeps it wakes this often to notice a close, a dead stream producer or a stale lock.</summary>
    internal const long SliceNs = 50_000_000;

    private readonly RingHeader* _h;
    private readonly byte* _data;
    private readonly ulong _mask;
    private readonly long _capacity;
    private readonly int _chunk;
    private readonly string _name;
    private readonly SafeHandle? _keepAlive;

    /// <summary>The producer side's last view of Head: a lower bound, so the free space computed from it is safe.</summary>
    private ulong _headSeen;

    /// <summary>The consumer side's last view of Tail: a lower bound on what is published.</summary>
    private ulong _tailSeen;

    /// <summary>The size of the last whole record read here: a hint for how long the next one takes to arrive.</summary>
    private uint _lastRecordBytes;

    /// <summary>Attaches to an initialized ring. <paramref name="keepAlive"/> is the mapping, kept alive during async waits.</summary>
    internal SharedRing(RingHeader* header, byte* data, string name, SafeHandle? keepAlive)
    {
        _h = header;
        _data = data;
        _name = name;
        _keepAlive = keepAlive;
        _capacity = header->Capacity;
        if (header->Magic != RingHeader.MagicValue || _capacity < MinCapacity || _capacity > MaxCapacity || (_capacity & (_capacity - 1)) != 0)
        {
            throw new InvalidDataException(
                $"The shared queue or pipe '{name}' is corrupt: its ring header (magic {header->Magic:X8}, capacity {_capacity}) is not valid; another process wrote over its memory. Create it again.");
        }

        _mask = (ulong)_capacity - 1;
        _chunk = (int)Math.Min(_capacity / 4, 1 << 20);
        _headSeen = Volatile.Read(ref header->Head);
        _tailSeen = Volatile.Read(ref header->Tail);
        if ((ulong)(long)(_tailSeen - _headSeen) > (ulong)_capacity)
        {
            throw Corrupt($"its head ({_headSeen}) and tail ({_tailSeen}) are {_tailSeen - _headSeen} bytes apart in a {_capacity}-byte ring");
        }
    }

    /// <summary>Initializes a zeroed control block for <paramref name="capacity"/> data bytes (a power of two, 4 KiB – 1 GiB).</summary>
    /// <param name="header">The control block.</param>
    /// <param name="capacity">The data area size.</param>
    /// <param name="startPosition">The initial head and tail (tests start near 2^64 to check wrap-around).</param>
    /// <param name="startMessages">The initial message counters.</param>
    internal static void Initialize(RingHeader* header, long capacity, ulong startPosition = 0, ulong startMessages = 0)
    {
        Debug.Assert(capacity >= MinCapacity && capacity <= MaxCapacity && (capacity & (capacity - 1)) == 0);
        Debug.Assert(startPosition % 8 == 0);
        header->Capacity = capacity;
        header->Head = header->Tail = header->JournalHead = header->JournalTail = startPosition;
        header->MessagesIn = header->MessagesOut = header->JournalMessagesIn = header->JournalMessagesOut = startMessages;
        header->Magic = RingHeader.MagicValue;
    }

    /// <summary>Rounds a requested size up to a valid capacity.</summary>
    internal static long RoundCapacity(long bytes) =>
        (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Clamp(bytes, MinCapacity, MaxCapacity));

    internal RingHeader* Header => _h;

    internal long Capacity => _capacity;

    /// <summary>Messages up to this many bytes travel as one record; larger ones are streamed in chunks.</summary>
    internal int MaxWholePayload => _chunk - RecordHeaderSize;

    /// <summary>Records from this size on are waited for with <see cref="PeerSpinner"/>.</summary>
    private const int BigRecord = 16 << 10;

    /// <summary>Complete messages in the ring (approximate while others work on it).</summary>
    internal long Count => Math.Max(0, (long)(Volatile.Read(ref _h->MessagesIn) - Volatile.Read(ref _h->MessagesOut)));

    /// <summary>
    /// True when some record (possibly a close marker or an orphan chunk) is published and not yet taken. Looks at
    /// the consumer side's cached view of Tail first, so that a consumer working through a backlog does not pull the
    /// producer's cache line for every message (a stale cache can only say "maybe": the read then finds out).
    /// </summary>
    internal bool HasData
    {
        get
        {
            ulong head = Volatile.Read(ref _h->Head);
            return _tailSeen != head || Volatile.Read(ref _h->Tail) != head;
        }
    }

    /// <summary>
    /// <see cref="HasData"/> for a reader that spins on it: also reads the slot where the next record will be written, so
    /// that when the producer publishes, the reader's next poll fetches that line and Tail's at the same time instead of
    /// one after the other (the record is read right after Tail moves).
    /// </summary>
    internal bool PollData()
    {
        ulong head = Volatile.Read(ref _h->Head);
        _ = Volatile.Read(ref *(ulong*)(_data + (head & _mask)));
        return _tailSeen != head || Volatile.Read(ref _h->Tail) != head;
    }

    internal bool IsClosed => Volatile.Read(ref _h->Closed) != 0;

    internal int* DataWord => (int*)&_h->Tail;

    internal int* SpaceWord => (int*)&_h->Head;

    internal SafeHandle? KeepAlive => _keepAlive;

    // =========================================================================================================
    // Locks (many producers / many consumers)
    // =========================================================================================================

    /// <summary>Takes the write lock; recovers the producer state if its holder died. False on timeout.</summary>
    internal bool EnterWrite(Deadline deadline, CancellationToken ct)
    {
        int pid = Environment.ProcessId;
        if (RobustMutex.TryEnterFast(&_h->WriteLock, pid))
        {
            return true;
        }

        EnterResult r = RobustMutex.Enter(&_h->WriteLock, pid, deadline, ct);
        if (r == EnterResult.Abandoned)
        {
            RecoverWriter();
        }

        return r != EnterResult.TimedOut;
    }

    internal void ExitWrite() => RobustMutex.Exit(&_h->WriteLock);

    /// <summary>Takes the read lock; returns Abandoned (after recovering the ring's reader state) if its holder died.</summary>
    internal EnterResult EnterRead(Deadline deadline, CancellationToken ct)
    {
        int pid = Environment.ProcessId;
        if (RobustMutex.TryEnterFast(&_h->ReadLock, pid))
        {
            return EnterResult.Acquired;
        }

        EnterResult r = RobustMutex.Enter(&_h->ReadLock, pid, deadline, ct);
        if (r == EnterResult.Abandoned)
        {
            RecoverReader();
        }

        return r;
    }

    internal void ExitRead() => RobustMutex.Exit(&_h->ReadLock);

    /// <summary>
    /// Called by the new holder of an abandoned write lock: a producer killed after counting a message but before
    /// publishing it leaves MessagesIn one too high; the journal tells. A stream it left open is closed.
    /// </summary>
    internal void RecoverWriter()
    {
        if (_h->Tail == _h->JournalTail && _h->MessagesIn != _h->JournalMessagesIn)
        {
            _h->MessagesIn = _h->JournalMessagesIn;
        }

        Volatile.Write(ref _h->OpenStream, 0UL);
        _headSeen = Volatile.Read(ref _h->Head);
    }

    /// <summary>The reader-side twin of <see cref="RecoverWriter"/>.</summary>
    internal void RecoverReader()
    {
        if (_h->Head == _h->JournalHead && _h->MessagesOut != _h->JournalMessagesOut)
        {
            _h->MessagesOut = _h->JournalMessagesOut;
        }
    }

    /// <summary>
    /// If a lock is held by a dead process, takes it over (which recovers the counters) and releases it, so that
    /// counts read by others (a join, a size) are right even when nobody else writes or reads any more.
    /// </summary>
    internal void RecoverAbandonedLocks()
    {
        int owner = Volatile.Read(ref _h->WriteLock.Word);
        if (owner != 0 && owner != Environment.ProcessId && !ProcessLiveness.IsAlive(owner)
            && Interlocked.CompareExchange(ref _h->WriteLock.Word, Environment.ProcessId, owner) == owner)
        {
            RecoverWriter();
            ExitWrite();
        }

        owner = Volatile.Read(ref _h->ReadLock.Word);
        if (owner != 0 && owner != Environment.ProcessId && !ProcessLiveness.IsAlive(owner)
            && Interlocked.CompareExchange(ref _h->ReadLock.Word, Environment.ProcessId, owner) == owner)
        {
            RecoverReader();
            AbandonedReadLockTakenOver?.Invoke();
            ExitRead();
        }
    }

    /// <summary>
    /// Single-producer use (a pipe): asked before a writer facing a full ring sleeps, and after every 50 ms slice of
    /// sleep; true makes the write return <see cref="RingStatus.Closed"/> (a dead consumer frees no space and wakes nobody).
    /// </summary>
    internal Func<bool>? ConsumerGone { get; set; }

    /// <summary>Called (holding the read lock) when <see cref="RecoverAbandonedLocks"/> took over a dead reader's lock.</summary>
    internal Action? AbandonedReadLockTakenOver { get; set; }
}
