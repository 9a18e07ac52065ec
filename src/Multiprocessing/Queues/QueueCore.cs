using System.Runtime.CompilerServices;
using Multiprocessing.Internal;
using Multiprocessing.Interop;

namespace Multiprocessing.Queues;

/// <summary>
/// The byte-level queue behind <see cref="SharedQueue{T}"/>, <see cref="JoinableQueue{T}"/> and
/// <see cref="SimpleQueue{T}"/>: one segment holding a <see cref="SharedRing"/> (many producers, many consumers,
/// under its write and read locks), the queue header, and for joinable queues one <see cref="ConsumerSlot"/> per
/// consumer process (and, in at-least-once mode, a stash ring per consumer holding copies of its unfinished tasks).
/// <code>
/// data offset 0      RingHeader (192 bytes, padded to 256)
///             256    QueueHeader (128)
///             512    ConsumerSlot[SlotCount] (64 each)
///             ...    at-least-once: SlotCount × (RingHeader padded to 256 + stash capacity)
///             4K-aligned: ring data (capacity bytes)
/// </code>
/// Unfinished tasks = MessagesIn - (DoneOther + Σ slot.Completed), all 64-bit counters compared by difference, so
/// they survive wrap-around. A process killed at any instruction leaves a state the next lock holder (or a joiner)
/// repairs: see <see cref="ResolveTakingSlots"/> and <see cref="CheckConsumers"/>.
/// </summary>
internal sealed unsafe partial class QueueCore : IDisposable
{
    internal const int LayoutVersion = 1;
    private const int QueueHeaderOffset = 256;
    private const int SlotsOffset = 512;
    private const int StashHeaderArea = 256;
    private const long JoinSliceNs = 100_000_000;

    private static readonly object s_claimGate = new();

    private readonly Segment _segment;
    private readonly SharedRing _ring;
    private readonly QueueHeader* _q;
    private readonly ConsumerSlot* _slots;
    private readonly SharedRing?[] _stashes;
    private int _slot = -1;
    private long _nextConsumerCheck;

    private QueueCore(Segment segment)
    {
        _segment = segment;
        byte* data = segment.Data;
        _q = (QueueHeader*)(data + QueueHeaderOffset);
        if (_q->Magic != QueueHeader.MagicValue || _q->SlotCount < 0 || _q->SlotCount > 4096
            || _q->RingDataOffset < SlotsOffset || _q->RingDataOffset >= segment.DataLength)
        {
            throw new InvalidDataException(
                $"The queue '{segment.Name}' is corrupt: its header (magic {_q->Magic:X8}, {_q->SlotCount} slots, ring at {_q->RingDataOffset}) is not valid; another process wrote over its memory. Create it again.");
        }

        RingHeader* rh = (RingHeader*)data;
        if (_q->RingDataOffset + rh->Capacity != segment.DataLength)
        {
            throw new InvalidDataException(
                $"The queue '{segment.Name}' is corrupt: its ring of {rh->Capacity} bytes at {_q->RingDataOffset} does not fill its {segment.DataLength}-byte segment. Create it again.");
        }

        _ring = new SharedRing(rh, data + _q->RingDataOffset, segment.Name, segment.Mapping) { AbandonedReadLockTakenOver = null };
        _ring.AbandonedReadLockTakenOver = ResolveTakingSlots;
        _slots = (ConsumerSlot*)(data + SlotsOffset);
        _stashes = new SharedRing?[_q->SlotCount];
        if (AtLeastOnce)
        {
            long stashArea = StashHeaderArea + _q->StashCapacity;
            byte* stashes = data + Align(SlotsOffset + ((long)_q->SlotCount * ConsumerSlot.Size), 64);
            for (int i = 0; i < _q->SlotCount; i++)
            {
                byte* at = stashes + (i * stashArea);
                _stashes[i] = new SharedRing((RingHeader*)at, at + StashHeaderArea, segment.Name, segment.Mapping);
            }

            MaxPayload = Math.Min(_ring.MaxWholePayload, _stashes.Length > 0 ? _stashes[0]!.MaxWholePayload : 0);
        }
        else
        {
            MaxPayload = int.MaxValue;
        }
    }

    /// <summary>Creates the segment and publishes it. <paramref name="start"/> sets every counter's start (tests of wrap-around).</summary>
    internal static QueueCore Create(string name, SegmentKind kind, string tag, SharedQueueOptions options, bool joinable, ulong start = 0)
    {
        options.Validate();
        long capacity = SharedRing.RoundCapacity(options.RingBytes);
        int slots = joinable ? options.MaxConsumers : 0;
        bool atLeastOnce = joinable && options.AtLeastOnce;
        long stashCapacity = atLeastOnce ? SharedRing.RoundCapacity(options.InFlightBytesPerConsumer) : 0;
        long stashesOffset = Align(SlotsOffset + ((long)slots * ConsumerSlot.Size), 64);
        long ringOffset = Align(stashesOffset + (atLeastOnce ? slots * (StashHeaderArea + stashCapacity) : 0), 4096);
        Segment s = Segment.Create(name, kind, LayoutVersion, ringOffset + capacity, tag, populate: true);
        try
        {
            byte* data = s.Data;
            ulong position = start & ~7UL;
            SharedRing.Initialize((RingHeader*)data, capacity, position, start);
            QueueHeader* q = (QueueHeader*)(data + QueueHeaderOffset);
            q->Flags = (joinable ? QueueHeader.FlagJoinable : 0) | (atLeastOnce ? QueueHeader.FlagAtLeastOnce : 0);
            q->MaxSize = options.MaxSize;
            q->SlotCount = slots;
            q->RingDataOffset = ringOffset;
            q->StashCapacity = stashCapacity;

            // Done = DoneOther + Σ Completed must equal MessagesIn (= start); slots start at 0.
            for (int i = 0; i < slots && atLeastOnce; i++)
            {
                SharedRing.Initialize((RingHeader*)(data + stashesOffset + (i * (StashHeaderArea + stashCapacity))), stashCapacity);
            }

            q->DoneOther = start;
            q->Magic = QueueHeader.MagicValue;
            s.Publish();
            return new QueueCore(s);
        }
        catch
        {
            s.Unlink();
            s.Dispose();
            throw;
        }
    }

    internal static QueueCore Open(string name, SegmentKind kind, string tag)
    {
        Segment s = Segment.Open(name, kind, LayoutVersion, tag);
        try
        {
            return new QueueCore(s);
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    internal string Name => _segment.Name;

    internal bool IsOwner => _segment.IsCreator;

    internal bool IsDisposed => _segment.IsClosed;

    internal SharedRing Ring => _ring;

    internal long MaxSize => _q->MaxSize;

    internal bool IsJoinable => (_q->Flags & QueueHeader.FlagJoinable) != 0;

    internal bool AtLeastOnce => (_q->Flags & QueueHeader.FlagAtLeastOnce) != 0;

    /// <summary>The largest message accepted (at-least-once queues keep a copy of each task, so they have a limit).</summary>
    internal int MaxPayload { get; }

    internal long Count => _ring.Count;

    internal ConsumerSlot* SlotsForTest => _slots;

    internal QueueHeader* HeaderForTest => _q;

    internal byte* RingDataForTest => _segment.Data + _q->RingDataOffset;

    internal bool IsClosed => _ring.IsClosed;

    // =========================================================================================================
    // Put
    // =========================================================================================================

    internal RingStatus Put(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> body, Deadline deadline, CancellationToken ct, bool finishOnceStarted = false)
    {
        // A Dispose from another thread while this put waits unmaps only once it is done.
        using MappingLease lease = TakeLease();
        if ((long)prefix.Length + body.Length > MaxPayload)
        {
            throw new ArgumentException(
                $"The message is {prefix.Length + body.Length} bytes, but the at-least-once queue '{Name}' keeps a copy of each unfinished task and takes at most {MaxPayload}; create it with larger RingBytes and InFlightBytesPerConsumer.");
        }

        if (_ring.IsClosed)
        {
            return RingStatus.Closed;
        }

        if (!_ring.EnterWrite(deadline, ct))
        {
            return RingStatus.TimedOut;
        }

        try
        {
            if (_q->MaxSize > 0)
            {
                RingStatus s = WaitBelowMaxSize(deadline, ct);
                if (s != RingStatus.Ok)
                {
                    return s;
                }
            }

            return _ring.Write(prefix, body, deadline, ct, finishOnceStarted);
        }
        finally
        {
            _ring.ExitWrite();
        }
    }

    private RingStatus WaitBelowMaxSize(Deadline deadline, CancellationToken ct)
    {
        while (true)
        {
            ulong head = _ring.Head;
            if (_ring.Count < _q->MaxSize)
            {
                return RingStatus.Ok;
            }

            if (_ring.IsClosed)
            {
                return RingStatus.Closed;
            }

            if (!_ring.WaitForHeadChange(head, deadline, ct))
            {
                return _ring.Count < _q->MaxSize ? RingStatus.Ok : RingStatus.TimedOut;
            }
        }
    }

    /// <summary>True if a put would not wait for maxsize right now (a hint for the async path).</summary>
    internal bool BelowMaxSize => _q->MaxSize == 0 || _ring.Count < _q->MaxSize;

    // =========================================================================================================
    // Get
    // =========================================================================================================

    /// <summary>Takes the next message into <paramref name="sink"/>, waiting until the deadline.</summary>
    internal RingStatus Get<TSink>(scoped ref TSink sink, Deadline deadline, CancellationToken ct)
        where TSink : IRecordSink, allows ref struct
    {
        using MappingLease lease = TakeLease();
        while (true)
        {
            if (_ring.HasData)
            {
                RingStatus s = ReadOnce(ref sink, deadline, ct);
                if (s != RingStatus.Empty)
                {
                    return s;
                }
            }
            else if (_ring.IsClosed)
            {
                return RingStatus.Closed;
            }

            if (!WaitForData(deadline, ct))
            {
                return RingStatus.TimedOut;
            }
        }
    }

    /// <summary>Takes a message if one is there now (a brief wait for the read lock aside).</summary>
    internal RingStatus TryGetNow<TSink>(scoped ref TSink sink)
        where TSink : IRecordSink, allows ref struct
    {
        ThrowIfDisposed();
        if (_ring.HasData)
        {
            RingStatus s = ReadOnce(ref sink, Deadline.Infinite, default);
            if (s != RingStatus.Empty)
            {
                return s;
            }
        }

        return _ring.IsClosed && !_ring.HasData ? RingStatus.Closed : RingStatus.Empty;
    }

    private bool WaitForData(Deadline deadline, CancellationToken ct)
    {
        if (!AtLeastOnce)
        {
            return _ring.WaitForData(deadline, ct);
        }

        // At-least-once consumers also look for dead peers' tasks to put back, once per slice of idleness.
        while (true)
        {
            long left = deadline.RemainingNanoseconds;
            Deadline slice = left >= 0 && left < JoinSliceNs ? deadline : Deadline.After(TimeSpan.FromTicks(JoinSliceNs / 100));
            if (_ring.WaitForData(slice, ct))
            {
                return true;
            }

            if (deadline.HasPassed)
            {
                return false;
            }

            CheckConsumers(throwIfDead: false);
        }
    }

    internal ValueTask<bool> WaitForDataAsync(CancellationToken ct) => _ring.WaitForDataAsync(
        AtLeastOnce ? Deadline.After(TimeSpan.FromTicks(JoinSliceNs / 100)) : Deadline.Infinite, ct);

    private RingStatus ReadOnce<TSink>(scoped ref TSink sink, Deadline deadline, CancellationToken ct)
        where TSink : IRecordSink, allows ref struct
    {
        if (AtLeastOnce)
        {
            long now = Environment.TickCount64;
            if (now >= _nextConsumerCheck)
            {
                // Busy consumers also put back dead peers' tasks, at most every slice (the check reads /proc).
                _nextConsumerCheck = now + (JoinSliceNs / 1_000_000);
                CheckConsumers(throwIfDead: false);
            }
        }

        EnterResult r = _ring.EnterRead(deadline, ct);
        if (r == EnterResult.TimedOut)
        {
            return RingStatus.TimedOut;
        }

        try
        {
            if (r == EnterResult.Abandoned)
            {
                ResolveTakingSlots();
            }

            if (!IsJoinable)
            {
                return _ring.TryRead(ref sink, ct);
            }

            int index = MySlot();
            ConsumerSlot* s = _slots + index;
            s->TakingHead = _ring.Head;
            s->TakingTaken = s->Taken;
            Volatile.Write(ref s->Taking, 1);
            try
            {
                RingStatus status;
                if (AtLeastOnce)
                {
                    StashingSink stash = new(_stashes[index]!, Name);
                    try
                    {
                        status = _ring.TryRead(ref stash, ct);
                        if (status == RingStatus.Ok)
                        {
                            ReplayInto(ref sink, stash.Inner.Span);
                        }
                    }
                    finally
                    {
                        stash.Inner.Return();
                    }
                }
                else
                {
                    status = _ring.TryRead(ref sink, ct);
                }

                if (status == RingStatus.Ok)
                {
                    Volatile.Write(ref s->Taken, s->Taken + 1);
                }

                return status;
            }
            finally
            {
                Volatile.Write(ref s->Taking, 0);
            }
        }
        finally
        {
            _ring.ExitRead();
        }
    }

    private static void ReplayInto<TSink>(scoped ref TSink sink, ReadOnlySpan<byte> bytes)
        where TSink : IRecordSink, allows ref struct
    {
        if (!sink.Begin(bytes.Length))
        {
            throw new InvalidOperationException("The destination is too small for a message of an at-least-once queue, which was already taken.");
        }

        sink.Append(bytes);
        sink.End();
    }

    // =========================================================================================================
    // Joinable: slots, TaskDone, Join
    // =========================================================================================================

    /// <summary>This process's consumer slot, claimed on first use.</summary>
    private int MySlot()
    {
        int pid = Environment.ProcessId;
        int cached = _slot;
        if (cached >= 0 && Volatile.Read(ref _slots[cached].Pid) == pid)
        {
            return cached;
        }

        lock (s_claimGate)
        {
            ulong startTime = Segment.CurrentStartTime;
            int n = _q->SlotCount;
            for (int i = 0; i < n; i++)
            {
                if (_slots[i].Pid == pid && _slots[i].StartTime == startTime)
                {
                    return _slot = i;
                }
            }

            for (int pass = 0; pass < 2; pass++)
            {
                for (int i = 0; i < n; i++)
                {
                    ConsumerSlot* s = _slots + i;
                    int owner = Volatile.Read(ref s->Pid);
                    bool free = pass == 0
                        ? owner == 0
                        : owner > 0 && Volatile.Read(ref s->Taking) == 0 && s->Taken == s->Completed && !ProcessLiveness.IsSameAndAlive(owner, s->StartTime);
                    if (free && Interlocked.CompareExchange(ref s->Pid, pid, owner) == owner)
                    {
                        s->StartTime = startTime;
                        int high = Volatile.Read(ref _q->SlotHighWater);
                        while (high < i + 1 && Interlocked.CompareExchange(ref _q->SlotHighWater, i + 1, high) != high)
                        {
                            high = Volatile.Read(ref _q->SlotHighWater);
                        }

                        if (_stashes[i] is { } stash)
                        {
                            // A dead owner may have left a copy it had not yet counted (the message is still in the queue).
                            stash.Header->Head = stash.Header->Tail;
                        }

                        return _slot = i;
                    }
                }
            }
        }

        throw new InvalidOperationException(
            $"The joinable queue '{Name}' already has {_q->SlotCount} consumer processes, its MaxConsumers; create it with a larger MaxConsumers.");
    }

    private int FindMySlot()
    {
        int pid = Environment.ProcessId;
        int cached = _slot;
        return cached >= 0 && Volatile.Read(ref _slots[cached].Pid) == pid ? cached : -1;
    }

    /// <summary>
    /// Under the read lock, after its holder died: a consumer killed between reading Head and counting the message
    /// it took left Taking = 1. If Head moved, it took the message (count it, so a join names it); if not, the
    /// message is still in the ring.
    /// </summary>
    private void ResolveTakingSlots()
    {
        ulong head = _ring.Head;
        for (int i = 0; i < _q->SlotCount; i++)
        {
            ConsumerSlot* s = _slots + i;
            if (Volatile.Read(ref s->Taking) == 1)
            {
                if (head != s->TakingHead && s->Taken == s->TakingTaken)
                {
                    s->Taken++;
                }

                Volatile.Write(ref s->Taking, 0);
            }
        }
    }

    /// <summary>Tasks put and not yet marked done.</summary>
    internal long Unfinished
    {
        get
        {
            ulong done = Volatile.Read(ref _q->DoneOther);
            int n = Math.Min(Volatile.Read(ref _q->SlotHighWater), _q->SlotCount);
            for (int i = 0; i < n; i++)
            {
                done += Volatile.Read(ref _slots[i].Completed);
            }

            return (long)(Volatile.Read(ref _ring.Header->MessagesIn) - done);
        }
    }

    internal void TaskDone()
    {
        ThrowIfDisposed();
        int index = FindMySlot();
        ConsumerSlot* s = index >= 0 ? _slots + index : null;
        if (s != null && (long)(Volatile.Read(ref s->Taken) - Volatile.Read(ref s->Completed)) > 0)
        {
            if (_stashes[index] is { } stash)
            {
                DropOldestStashed(stash);
            }

            Interlocked.Increment(ref s->Completed);
        }
        else
        {
            // A task this process did not take (Python allows that) or one call too many.
            if (Unfinished <= 0)
            {
                throw new InvalidOperationException(
                    $"TaskDone was called on the queue '{Name}' more times than tasks were put (Python raises ValueError here); call it once per task taken.");
            }

            Interlocked.Increment(ref _q->DoneOther);
        }

        // Only while someone joins does a TaskDone look at the total (a few slot lines), and the one that finishes
        // the last task wakes the joiners. The increment above is a full fence, so a joiner that registered after
        // this read sees our count in its own check.
        if (Volatile.Read(ref _q->JoinWaiters) > 0 && Unfinished <= 0)
        {
            SignalJoiners();
        }
    }

    private void SignalJoiners()
    {
        Interlocked.Increment(ref _q->DoneSignal);
        _ = Futex.Wake(&_q->DoneSignal, int.MaxValue);
    }

    private static void DropOldestStashed(SharedRing stash)
    {
        // Threads of this process serialize on the stash's read lock (the lock word is per process, so this is a
        // plain mutex among them); the stash's only writer is this process's Get, under the queue's read lock.
        _ = stash.EnterRead(Deadline.Infinite, default);
        try
        {
            SkipSink skip = default;
            _ = stash.TryRead(ref skip);
        }
        finally
        {
            stash.ExitRead();
        }
    }

    /// <summary>Waits until every task put has been marked done. False on timeout; throws if a consumer died holding tasks.</summary>
    internal bool Join(Deadline deadline, CancellationToken ct)
    {
        using MappingLease lease = TakeLease();
        Interlocked.Increment(ref _q->JoinWaiters);
        try
        {
            long nextCheck = 0;
            while (true)
            {
                int seen = Volatile.Read(ref _q->DoneSignal);
                if (Unfinished <= 0)
                {
                    return true;
                }

                if (Environment.TickCount64 >= nextCheck)
                {
                    // Dead consumers, stale locks: at most every slice, since it reads /proc.
                    nextCheck = Environment.TickCount64 + (JoinSliceNs / 1_000_000);
                    CheckConsumers(throwIfDead: true);
                    continue;
                }

                ct.ThrowIfCancellationRequested();
                long left = deadline.RemainingNanoseconds;
                if (left == 0)
                {
                    return Unfinished <= 0;
                }

                _ = Futex.Wait(&_q->DoneSignal, seen, left < 0 || left > JoinSliceNs ? JoinSliceNs : left);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _q->JoinWaiters);
        }
    }

    internal void AddJoinWaiter() => Interlocked.Increment(ref _q->JoinWaiters);

    internal void RemoveJoinWaiter() => Interlocked.Decrement(ref _q->JoinWaiters);

    internal int DoneSignal => Volatile.Read(ref _q->DoneSignal);

    internal Task<bool> WatchDoneSignal(int seen, CancellationToken ct) =>
        FutexWatcher.WaitAsync(&_q->DoneSignal, seen, Deadline.After(TimeSpan.FromTicks(JoinSliceNs / 100)), _segment.Mapping, ct);

    /// <summary>
    /// Repairs what dead processes left: abandoned locks (and their journals), then consumers that died holding
    /// tasks. In at-least-once mode their tasks go back on the queue; otherwise, if <paramref name="throwIfDead"/>,
    /// a <see cref="ConsumerDiedException"/> names them.
    /// </summary>
    internal void CheckConsumers(bool throwIfDead)
    {
        _ring.RecoverAbandonedLocks();
        Dictionary<int, long>? dead = null;
        int me = Environment.ProcessId;
        for (int i = 0; i < _q->SlotCount; i++)
        {
            ConsumerSlot* s = _slots + i;
            int pid = Volatile.Read(ref s->Pid);
            if (pid == 0 || pid == me)
            {
                continue;
            }

            long inFlight = (long)(Volatile.Read(ref s->Taken) - Volatile.Read(ref s->Completed));
            if (pid < 0)
            {
                // A redelivery in progress; finish it if the process doing it died.
                if (!ProcessLiveness.IsAlive(-pid))
                {
                    Redeliver(i, pid);
                }

                continue;
            }

            if ((inFlight <= 0 && (_stashes[i] is not { } stash || stash.Tail == stash.Head))
                || ProcessLiveness.IsSameAndAlive(pid, s->StartTime))
            {
                continue;
            }

            if (AtLeastOnce)
            {
                Redeliver(i, pid);
            }
            else if (inFlight > 0)
            {
                dead ??= [];
                dead[pid] = inFlight;
            }
        }

        if (dead is not null && throwIfDead)
        {
            throw new ConsumerDiedException(Name, dead);
        }
    }

    /// <summary>
    /// Puts a dead consumer's stashed tasks back on the queue and retires its slot. The slot is claimed first
    /// (pid → -our pid), so one process does it; if that one dies too, the next finds a dead negative pid and resumes.
    /// A task is put back before it leaves the stash, so a crash here duplicates at most one task, never loses one.
    /// </summary>
    private void Redeliver(int index, int owner)
    {
        ConsumerSlot* s = _slots + index;
        int me = Environment.ProcessId;
        if (Interlocked.CompareExchange(ref s->Pid, -me, owner) != owner)
        {
            return;
        }

        SharedRing stash = _stashes[index]!;
        _ = _ring.EnterWrite(Deadline.Infinite, default);
        try
        {
            RedeliverSink sink = new(_ring);
            try
            {
                while (stash.TryRead(ref sink) == RingStatus.Ok)
                {
                }
            }
            finally
            {
                sink.Inner.Return();
            }
        }
        finally
        {
            _ring.ExitWrite();
        }

        // The tasks it held are now new messages: count the old ones as done.
        Volatile.Write(ref s->Completed, Volatile.Read(ref s->Taken));
        Volatile.Write(ref s->Pid, 0);
    }

    // =========================================================================================================
    // Close, lifetime
    // =========================================================================================================

    internal void Close()
    {
        ThrowIfDisposed();
        _ring.MarkClosed();

        // Producers blocked on a full ring hold the write lock; they notice the flag within a slice and let go.
        if (_ring.EnterWrite(Deadline.After(TimeSpan.FromSeconds(5)), default))
        {
            try
            {
                _ring.Close();
            }
            finally
            {
                _ring.ExitWrite();
            }
        }
        else
        {
            _ring.WakeAll();
        }
    }

    internal void Unlink() => _segment.Unlink();

    public void Dispose() => _segment.Dispose();

    private MappingLease TakeLease()
    {
        ThrowIfDisposed();
        try
        {
            return MappingLease.Take(_segment);
        }
        catch (ObjectDisposedException)
        {
            ThrowIfDisposed();
            throw;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ThrowIfDisposed()
    {
        if (_segment.IsClosed)
        {
            ThrowDisposed();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowDisposed() =>
        throw new ObjectDisposedException(Name, $"The queue '{Name}' was disposed in this process; open it again to use it.");

    private static long Align(long n, long to) => (n + to - 1) & ~(to - 1);
}
