using Multiprocessing.Interop;

namespace Multiprocessing.Internal;

/// <summary>Appending records (the caller holds the write lock, or is the single producer).</summary>
internal sealed unsafe partial class SharedRing
{
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
}
