using System.Runtime.CompilerServices;
using Multiprocessing.Interop;

namespace Multiprocessing.Internal;

/// <summary>Taking records (the caller holds the read lock, or is the single consumer).</summary>
internal sealed unsafe partial class SharedRing
{
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
                return TakeWhole(ref sink, head, length, head + (ulong)recordSize);
            }
        }

        return TryReadAny(ref sink, ct);
    }

    /// <summary>Copies the whole record at <paramref name="head"/> into the sink and frees it (Refused: the sink declined, nothing taken).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private RingStatus TakeWhole<TSink>(scoped ref TSink sink, ulong head, uint length, ulong next)
        where TSink : IRecordSink, allows ref struct
    {
        if (!sink.Begin(length))
        {
            return RingStatus.Refused;
        }

        CopyOut(head + RecordHeaderSize, (int)length, ref sink);
        sink.End();
        _lastRecordBytes = length;
        Advance(head, next, messageDone: true);
        return RingStatus.Ok;
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

                    return TakeWhole(ref sink, head, length, next);

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
}
