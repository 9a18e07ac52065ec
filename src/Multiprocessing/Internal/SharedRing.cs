using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
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

    // =========================================================================================================
    // Writing (caller holds the write lock, or is the single producer)
    // =========================================================================================================

    /// <summary>
    /// Appends one message made of <paramref name="prefix"/> then <paramref name="body"/>. Blocks while the ring is
    /// full. Returns <see cref="RingStatus.TimedOut"/> or <see cref="RingStatus.Closed"/> with nothing visible to
    /// readers (a stream cut short is discarded by them).
    /// </summary>
    /// <param name="prefix">The first bytes of the message (for example a tag), copied before <paramref name="body"/>.</param>
    /// <param name="body">The rest of the message.</param>
    /// <param name="deadline">When to give up.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <param name="finishOnceStarted">
    /// For a streamed message: apply the deadline only to the first chunk, then wait as long as it takes (async
    /// callers, which try with a zero deadline and wait elsewhere, would otherwise never get a large message through).
    /// </param>
    internal RingStatus Write(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> body, Deadline deadline, CancellationToken ct, bool finishOnceStarted = false)
    {
        if (IsClosed)
        {
            return RingStatus.Closed;
        }

        long total = (long)prefix.Length + body.Length;
        if (total <= MaxWholePayload)
        {
            int need = RecordHeaderSize + Align8((int)total);
            ulong tail = _h->Tail;
            if ((long)(tail - _headSeen) + need > _capacity)
            {
                RingStatus s = WaitForSpace(need, deadline, ct);
                if (s != RingStatus.Ok)
                {
                    return s;
                }
            }

            CopyIn(tail + RecordHeaderSize, prefix);
            CopyIn(tail + RecordHeaderSize + (ulong)prefix.Length, body);
            WriteHeader(tail, (uint)total, KindWhole);
            Publish(tail, tail + (ulong)need, messageDone: true, wakeAll: false);
            return RingStatus.Ok;
        }

        return WriteStream(prefix, body, total, deadline, finishOnceStarted, ct);
    }

    /// <summary>One-span convenience for the two-span Write.</summary>
    internal RingStatus Write(ReadOnlySpan<byte> payload, Deadline deadline, CancellationToken ct) =>
        Write(default, payload, deadline, ct);

    private RingStatus WriteStream(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> body, long total, Deadline deadline, bool finishOnceStarted, CancellationToken ct)
    {
        ulong streamId = _h->Tail;
        long offset = 0;
        bool first = true;
        try
        {
            while (offset < total)
            {
                int prefixLength = first ? FirstPrefix : ChunkPrefix;
                int n = (int)Math.Min(total - offset, _chunk - RecordHeaderSize - prefixLength);
                bool last = offset + n == total;
                int need = RecordHeaderSize + Align8(prefixLength + n);
                RingStatus s = WaitForSpace(need, first || !finishOnceStarted ? deadline : Deadline.Infinite, ct);
                if (s != RingStatus.Ok)
                {
                    return s;
                }

                ulong tail = _h->Tail;
                ulong at = tail + RecordHeaderSize;
                if (first)
                {
                    // Readers may check OpenStream as soon as they see the first chunk, so it is set before.
                    Volatile.Write(ref _h->OpenStream, streamId + 1);
                    StreamFirstPrefix p = new() { Total = total, StreamId = streamId, Pid = Environment.ProcessId };
                    CopyIn(at, new ReadOnlySpan<byte>(&p, FirstPrefix));
                }
                else
                {
                    CopyIn(at, new ReadOnlySpan<byte>(&streamId, ChunkPrefix));
                }

                at += (ulong)prefixLength;
                CopyLogical(at, prefix, body, offset, n);
                WriteHeader(tail, (uint)(prefixLength + n), first ? KindFirst : last ? KindLast : KindMiddle);
                Publish(tail, tail + (ulong)need, messageDone: last, wakeAll: true);
                offset += n;
                first = false;
            }

            return RingStatus.Ok;
        }
        finally
        {
            // Published before clearing: a reader that sees OpenStream cleared re-reads Tail and finds the last chunk.
            // Cleared on every exit, so a timed-out or cancelled stream is discarded by readers.
            Volatile.Write(ref _h->OpenStream, 0UL);
        }
    }

    /// <summary>Copies bytes [offset, offset+n) of the logical concatenation prefix+body to ring position <paramref name="at"/>.</summary>
    private void CopyLogical(ulong at, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> body, long offset, int n)
    {
        if (offset < prefix.Length)
        {
            int fromPrefix = (int)Math.Min(n, prefix.Length - offset);
            CopyIn(at, prefix.Slice((int)offset, fromPrefix));
            at += (ulong)fromPrefix;
            n -= fromPrefix;
            offset += fromPrefix;
        }

        if (n > 0)
        {
            CopyIn(at, body.Slice((int)(offset - prefix.Length), n));
        }
    }

    /// <summary>Waits until <paramref name="need"/> bytes are free after Tail.</summary>
    private RingStatus WaitForSpace(int need, Deadline deadline, CancellationToken ct)
    {
        ulong tail = _h->Tail;
        if ((long)(tail - _headSeen) + need <= _capacity)
        {
            return RingStatus.Ok;
        }

        // A large record waits for a reader that is busy copying out: spin about as long as that takes.
        bool big = need >= BigRecord;
        PeerSpinner peer = big ? new PeerSpinner(need) : default;
        AdaptiveSpinner spinner = default;
        while (true)
        {
            ulong head = Volatile.Read(ref _h->Head);
            _headSeen = head;
            long used = (long)(tail - head);
            if ((ulong)used > (ulong)_capacity)
            {
                throw Corrupt($"its head ({head}) is {used} bytes behind its tail in a {_capacity}-byte ring");
            }

            if (used + need <= _capacity)
            {
                return RingStatus.Ok;
            }

            if (IsClosed)
            {
                return RingStatus.Closed;
            }

            if (big ? peer.SpinOnce() : spinner.SpinOnce())
            {
                continue;
            }

            if (ConsumerGone?.Invoke() == true)
            {
                return RingStatus.Closed;
            }

            // Ask for half the ring (or what this record needs, if more) before being woken. Written before Sleep
            // counts us as a waiter (an interlocked add), so a consumer that sees the count sees this too.
            Volatile.Write(ref _h->SpaceWanted, Math.Max(need, _capacity / 2));
            if (!FutexWait.Sleep(SpaceWord, (int)head, &_h->SpaceWaiters, deadline, ct, SliceNs))
            {
                head = Volatile.Read(ref _h->Head);
                _headSeen = head;
                return (long)(tail - head) + need <= _capacity ? RingStatus.Ok : RingStatus.TimedOut;
            }
        }
    }

    private void Publish(ulong oldTail, ulong newTail, bool messageDone, bool wakeAll)
    {
        if (messageDone && CountsMessages)
        {
            // Journal first (count, then position: see RecoverWriter), then count, then publish. x64 keeps stores in order.
            _h->JournalMessagesIn = _h->MessagesIn;
            Volatile.Write(ref _h->JournalTail, oldTail);
            Volatile.Write(ref _h->MessagesIn, _h->MessagesIn + 1);
        }

        // A full fence: the waiter-count read below cannot move before the store (see FutexWait.Wake).
        Interlocked.Exchange(ref _h->Tail, newTail);
        if (wakeAll)
        {
            // A chunk wakes all: the reader that holds the stream may sleep next to readers waiting for their turn.
            FutexWait.Wake(DataWord, &_h->DataWaiters, int.MaxValue);
        }
        else if (Volatile.Read(ref _h->DataWaiters) > 0 && Volatile.Read(ref _h->Head) == oldTail)
        {
            // A whole message wakes one sleeper, and only when it lands in an empty ring. A reader sleeps only after
            // it saw the ring empty, so the first publish after that finds Head == oldTail and wakes it; into a
            // non-empty ring, some reader is awake already (the one woken for the first message, who wakes more in
            // Advance while a backlog lasts). So a steady flow costs one wake per burst, not a syscall per message.
            // A reader that dies while it is the one awake is covered by the sleepers' 50 ms slices.
            ReaderWakes++;
            _ = Futex.Wake(DataWord, 1);
        }
    }

    /// <summary>
    /// True (the default) to keep <see cref="RingHeader.MessagesIn"/>/<see cref="RingHeader.MessagesOut"/> and their
    /// journal, which <see cref="Count"/> and a queue's join read. A user that never reads them (a pipe) sets it to false on
    /// both sides and saves four stores per message on each side; the counters then stay at their initial values.
    /// </summary>
    internal bool CountsMessages { get; init; } = true;

    /// <summary>Wake system calls this producer made for sleeping readers of whole messages (tests check the wake rule with it).</summary>
    internal long ReaderWakes { get; private set; }

    /// <summary>
    /// Marks the ring closed and, if there is room, appends a close marker so that sleeping readers see the data
    /// word change and wake. The caller holds the write lock or is the single producer.
    /// </summary>
    internal void Close()
    {
        Interlocked.Exchange(ref _h->Closed, 1);
        ulong tail = _h->Tail;
        ulong head = Volatile.Read(ref _h->Head);
        if ((long)(tail - head) + RecordHeaderSize <= _capacity)
        {
            WriteHeader(tail, 0, KindClose);
            Interlocked.Exchange(ref _h->Tail, tail + RecordHeaderSize);
        }

        if (Volatile.Read(ref _h->DataWaiters) > 0)
        {
            _ = Futex.Wake(DataWord, int.MaxValue);
        }

        if (Volatile.Read(ref _h->SpaceWaiters) > 0)
        {
            _ = Futex.Wake(SpaceWord, int.MaxValue);
        }
    }

    /// <summary>Sets the closed flag only (no marker); for a closer that cannot take the write lock right now.</summary>
    internal void MarkClosed() => Interlocked.Exchange(ref _h->Closed, 1);

    /// <summary>Wakes every sleeper on both words (they re-check their condition).</summary>
    internal void WakeAll()
    {
        _ = Futex.Wake(DataWord, int.MaxValue);
        _ = Futex.Wake(SpaceWord, int.MaxValue);
    }

    // =========================================================================================================
    // Reading (caller holds the read lock, or is the single consumer)
    // =========================================================================================================

    /// <summary>
    /// Takes the next message into <paramref name="sink"/> without waiting for one to start; once a streamed
    /// message has started, waits for its remaining chunks (ignoring the deadline: a message that has begun is
    /// finished, unless its producer dies or gives up, which discards it).
    /// </summary>
    internal RingStatus TryRead<TSink>(scoped ref TSink sink, CancellationToken ct = default)
        where TSink : IRecordSink, allows ref struct
    {
        // Fast path: the next record is a whole message that is already published. Everything else (nothing there, a
        // close marker, a chunk, a corrupt header) goes to the general loop, which checks and reports it.
        ulong head = _h->Head;
        long available = (long)(_tailSeen - head);
        if (available < RecordHeaderSize)
        {
            _tailSeen = Volatile.Read(ref _h->Tail);
            available = (long)(_tailSeen - head);
        }

        if (available == 0)
        {
            // Nothing published (positions move in whole 8-byte units): what the general loop answers, without the call.
            return IsClosed && !HasData ? RingStatus.Closed : RingStatus.Empty;
        }

        if (available >= RecordHeaderSize && (ulong)available <= (ulong)_capacity)
        {
            ulong word = *(ulong*)(_data + (head & _mask));
            uint length = (uint)word;
            long recordSize = RecordHeaderSize + Align8Long(length);
            if ((ushort)(word >> 32) == KindWhole && (ushort)(word >> 48) == Check(length, KindWhole) && recordSize <= available)
            {
                if (!sink.Begin(length))
                {
                    return RingStatus.Refused;
                }

                CopyOut(head + RecordHeaderSize, (int)length, ref sink);
                sink.End();
                _lastRecordBytes = length;
                Advance(head, head + (ulong)recordSize, messageDone: true);
                return RingStatus.Ok;
            }
        }

        return TryReadAny(ref sink, ct);
    }

    /// <summary>The general case of <see cref="TryRead{TSink}"/>: any record kind, streams, and every consistency check.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private RingStatus TryReadAny<TSink>(scoped ref TSink sink, CancellationToken ct)
        where TSink : IRecordSink, allows ref struct
    {
        bool inStream = false;
        ulong streamId = 0;
        int streamPid = 0;
        long expected = 0;
        long received = 0;
        while (true)
        {
            ulong head = _h->Head;
            long available = (long)(_tailSeen - head);
            if (available < RecordHeaderSize)
            {
                _tailSeen = Volatile.Read(ref _h->Tail);
                available = (long)(_tailSeen - head);
            }

            if ((ulong)available > (ulong)_capacity)
            {
                throw Corrupt($"its head ({head}) and tail ({_tailSeen}) are {available} bytes apart in a {_capacity}-byte ring");
            }

            if (available < RecordHeaderSize)
            {
                if (!inStream)
                {
                    return IsClosed && !HasData ? RingStatus.Closed : RingStatus.Empty;
                }

                if (!WaitForChunk(streamId, streamPid, head, ct))
                {
                    sink.Discard();
                    inStream = false;
                }

                continue;
            }

            ulong word = *(ulong*)(_data + (head & _mask));
            uint length = (uint)word;
            ushort kind = (ushort)(word >> 32);
            ushort check = (ushort)(word >> 48);
            if (check != Check(length, kind) || kind is < KindWhole or > KindClose)
            {
                throw Corrupt($"the record header at position {head} ({word:X16}) fails its check");
            }

            long recordSize = RecordHeaderSize + Align8Long(length);
            if (recordSize > available)
            {
                throw Corrupt($"the record at position {head} claims {length} bytes but only {available - RecordHeaderSize} are published");
            }

            ulong payload = head + RecordHeaderSize;
            ulong next = head + (ulong)recordSize;
            switch (kind)
            {
                case KindClose:
                    Advance(head, next, messageDone: false);
                    continue;

                case KindWhole:
                    if (inStream)
                    {
                        sink.Discard();
                        inStream = false;
                    }

                    if (!sink.Begin(length))
                    {
                        return RingStatus.Refused;
                    }

                    CopyOut(payload, (int)length, ref sink);
                    sink.End();
                    _lastRecordBytes = length;
                    Advance(head, next, messageDone: true);
                    return RingStatus.Ok;

                case KindFirst:
                {
                    if (inStream)
                    {
                        sink.Discard();
                        inStream = false;
                    }

                    if (length < FirstPrefix)
                    {
                        throw Corrupt($"the first chunk at position {head} is {length} bytes, shorter than its prefix");
                    }

                    StreamFirstPrefix p;
                    CopyOutRaw(payload, new Span<byte>(&p, FirstPrefix));
                    if (p.Total <= 0 || p.Total < length - FirstPrefix)
                    {
                        throw Corrupt($"the first chunk at position {head} announces a message of {p.Total} bytes");
                    }

                    if (!sink.Begin(p.Total))
                    {
                        return RingStatus.Refused;
                    }

                    CopyOut(payload + FirstPrefix, (int)length - FirstPrefix, ref sink);
                    inStream = true;
                    streamId = p.StreamId;
                    streamPid = p.Pid;
                    expected = p.Total;
                    received = length - FirstPrefix;
                    Advance(head, next, messageDone: false);
                    continue;
                }

                default: // middle or last chunk
                {
                    if (length < ChunkPrefix)
                    {
                        throw Corrupt($"the chunk at position {head} is {length} bytes, shorter than its prefix");
                    }

                    ulong id;
                    CopyOutRaw(payload, new Span<byte>(&id, ChunkPrefix));
                    bool last = kind == KindLast;
                    if (!inStream || id != streamId)
                    {
                        // An orphan: the rest of a message whose reader died mid-way. Its first part is gone, so it is
                        // skipped; its last chunk completes the count of messages out.
                        Advance(head, next, messageDone: last);
                        continue;
                    }

                    int n = (int)length - ChunkPrefix;
                    if (received + n > expected)
                    {
                        throw Corrupt($"the streamed message at position {head} is longer than the {expected} bytes it announced");
                    }

                    CopyOut(payload + ChunkPrefix, n, ref sink);
                    received += n;
                    if (last)
                    {
                        if (received != expected)
                        {
                            throw Corrupt($"the streamed message ending at position {head} has {received} bytes, not the {expected} it announced");
                        }

                        sink.End();
                        Advance(head, next, messageDone: true);
                        return RingStatus.Ok;
                    }

                    Advance(head, next, messageDone: false);
                    continue;
                }
            }
        }
    }

    /// <summary>
    /// Waits (holding the read side) for the next chunk of a stream. False when the stream is abandoned: its
    /// producer closed it without finishing (timeout, cancellation) or died.
    /// </summary>
    private bool WaitForChunk(ulong streamId, int pid, ulong head, CancellationToken ct)
    {
        // The producer is busy copying the next chunk in: spin about as long as that takes.
        PeerSpinner spinner = new(_chunk);
        long nextLivenessCheck = 0;
        _ = ct;
        while (true)
        {
            ulong tail = Volatile.Read(ref _h->Tail);
            if (tail != head)
            {
                _tailSeen = tail;
                return true;
            }

            if (Volatile.Read(ref _h->OpenStream) != streamId + 1)
            {
                // The producer clears OpenStream after publishing its last chunk: look once more.
                _tailSeen = Volatile.Read(ref _h->Tail);
                return _tailSeen != head;
            }

            if (spinner.SpinOnce())
            {
                continue;
            }

            // A killed producer never clears OpenStream: check its pid, but only once the spin is spent and at
            // most once per slice (it reads /proc).
            long now = Environment.TickCount64;
            if (now >= nextLivenessCheck)
            {
                nextLivenessCheck = now + (SliceNs / 1_000_000);
                if (!ProcessLiveness.IsAlive(pid))
                {
                    _tailSeen = Volatile.Read(ref _h->Tail);
                    return _tailSeen != head;
                }
            }

            _ = FutexWait.Sleep(DataWord, (int)tail, &_h->DataWaiters, Deadline.Infinite, CancellationToken.None, SliceNs);
        }
    }

    private void Advance(ulong oldHead, ulong newHead, bool messageDone)
    {
        if (messageDone && CountsMessages)
        {
            _h->JournalMessagesOut = _h->MessagesOut;
            Volatile.Write(ref _h->JournalHead, oldHead);
            Volatile.Write(ref _h->MessagesOut, _h->MessagesOut + 1);
        }

        // A full fence: the waiter-count read cannot move before the store (see FutexWait.Wake).
        Interlocked.Exchange(ref _h->Head, newHead);
        if (messageDone && Volatile.Read(ref _h->DataWaiters) > 0 && Volatile.Read(ref _h->Tail) != newHead)
        {
            // A backlog while another reader sleeps: wake one more (see Publish). Tail is read after the Head store
            // (a full fence), and Publish reads Head after its Tail store, so of a publish racing this advance at
            // least one side sees the other and wakes.
            _tailSeen = Volatile.Read(ref _h->Tail);
            _ = Futex.Wake(DataWord, 1);
        }

        if (Volatile.Read(ref _h->SpaceWaiters) > 0
            && _capacity - (long)(Volatile.Read(ref _h->Tail) - newHead) >= Volatile.Read(ref _h->SpaceWanted))
        {
            _ = Futex.Wake(SpaceWord, int.MaxValue);
        }
    }

    // =========================================================================================================
    // Waiting for data (no lock held)
    // =========================================================================================================

    /// <summary>Spins, then sleeps until something is published or the ring is closed. False on timeout.</summary>
    internal bool WaitForData(Deadline deadline, CancellationToken ct)
    {
        // After a large record, the next one is probably being copied in right now: spin about as long as that takes.
        uint last = _lastRecordBytes;
        bool big = last >= BigRecord;
        PeerSpinner peer = big ? new PeerSpinner(last) : default;
        AdaptiveSpinner spinner = default;
        while (true)
        {
            ulong tail = Volatile.Read(ref _h->Tail);
            if (tail != Volatile.Read(ref _h->Head) || IsClosed)
            {
                return true;
            }

            if (big ? peer.SpinOnce() : spinner.SpinOnce())
            {
                continue;
            }

            // In slices: a publish into a non-empty ring wakes nobody (see Publish), so if the reader that was
            // awake dies, the others notice the backlog at their next slice.
            if (!FutexWait.Sleep(DataWord, (int)tail, &_h->DataWaiters, deadline, ct, SliceNs))
            {
                return HasData || IsClosed;
            }
        }
    }

    internal void AddDataWaiter() => Interlocked.Increment(ref _h->DataWaiters);

    internal void RemoveDataWaiter() => Interlocked.Decrement(ref _h->DataWaiters);

    internal void AddSpaceWaiter() => Interlocked.Increment(ref _h->SpaceWaiters);

    internal void RemoveSpaceWaiter() => Interlocked.Decrement(ref _h->SpaceWaiters);

    /// <summary>Completes when the data word differs from <paramref name="tail"/>'s low half or is woken.</summary>
    internal Task<bool> WatchData(ulong tail, Deadline deadline, CancellationToken ct) =>
        FutexWatcher.WaitAsync(DataWord, (int)tail, deadline, _keepAlive, ct);

    /// <summary>Completes when the space word differs from <paramref name="head"/>'s low half or is woken.</summary>
    internal Task<bool> WatchSpace(ulong head, Deadline deadline, CancellationToken ct) =>
        FutexWatcher.WaitAsync(SpaceWord, (int)head, deadline, _keepAlive, ct);

    /// <summary>Waits until Head moves from <paramref name="head"/> (space freed, a message taken). False on timeout.</summary>
    internal bool WaitForHeadChange(ulong head, Deadline deadline, CancellationToken ct)
    {
        AdaptiveSpinner spinner = default;
        while (Volatile.Read(ref _h->Head) == head && !IsClosed)
        {
            if (spinner.SpinOnce())
            {
                continue;
            }

            Volatile.Write(ref _h->SpaceWanted, 0L);

            if (!FutexWait.Sleep(SpaceWord, (int)head, &_h->SpaceWaiters, deadline, ct, SliceNs))
            {
                return Volatile.Read(ref _h->Head) != head;
            }
        }

        return true;
    }

    internal ulong Head => Volatile.Read(ref _h->Head);

    internal ulong Tail => Volatile.Read(ref _h->Tail);

    // =========================================================================================================
    // Copies
    // =========================================================================================================

    private void CopyIn(ulong position, ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty)
        {
            return;
        }

        int offset = (int)(position & _mask);
        int first = (int)Math.Min(source.Length, _capacity - offset);
        ByteCopy.Copy(source[..first], new Span<byte>(_data + offset, first));
        if (first < source.Length)
        {
            source[first..].CopyTo(new Span<byte>(_data, source.Length - first));
        }
    }

    private void CopyOutRaw(ulong position, Span<byte> destination)
    {
        int offset = (int)(position & _mask);
        int first = (int)Math.Min(destination.Length, _capacity - offset);
        new ReadOnlySpan<byte>(_data + offset, first).CopyTo(destination);
        if (first < destination.Length)
        {
            new ReadOnlySpan<byte>(_data, destination.Length - first).CopyTo(destination[first..]);
        }
    }

    private void CopyOut<TSink>(ulong position, int length, scoped ref TSink sink)
        where TSink : IRecordSink, allows ref struct
    {
        if (length == 0)
        {
            return;
        }

        int offset = (int)(position & _mask);
        int first = (int)Math.Min(length, _capacity - offset);
        sink.Append(new ReadOnlySpan<byte>(_data + offset, first));
        if (first < length)
        {
            sink.Append(new ReadOnlySpan<byte>(_data, length - first));
        }
    }

    private void WriteHeader(ulong position, uint length, ushort kind) =>
        *(ulong*)(_data + (position & _mask)) = length | ((ulong)kind << 32) | ((ulong)Check(length, kind) << 48);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort Check(uint length, ushort kind) => (ushort)(((length * 2654435761u) >> 16) ^ (kind * 0x9E37u) ^ 0xC35Au);

    private static int Align8(int n) => (n + 7) & ~7;

    private static long Align8Long(uint n) => ((long)n + 7) & ~7L;

    private InvalidDataException Corrupt(string what) =>
        new($"The shared queue or pipe '{_name}' is corrupt: {what}. Another process wrote over its shared memory; create it again.");

    [StructLayout(LayoutKind.Sequential, Size = FirstPrefix)]
    private struct StreamFirstPrefix
    {
        internal long Total;
        internal ulong StreamId;
        internal int Pid;
        internal int Reserved;
    }
}
