using System.Diagnostics;
using System.Runtime.CompilerServices;
using Multiprocessing.Internal;

namespace Multiprocessing.Pipes;

/// <summary>
/// One end of a shared-memory pipe: it writes ring <c>End</c> and reads ring <c>1 - End</c>, each a lock-free
/// single-producer single-consumer byte ring (see <see cref="RingControl"/>). A side that finds nothing to do spins
/// adaptively, then sleeps on the ring's futex word in slices, checking between slices whether the peer is gone
/// (a dead process wakes nobody). A message larger than the ring streams through it in chunks.
/// </summary>
/// <remarks>
/// Why not the queue's ring: a queue has many producers and consumers, so each record needs a lock or a CAS to
/// claim its slot; a pipe direction has exactly one writer and one reader, so plain release/acquire stores of two
/// positions are enough, which is what a sub-microsecond hand-off needs.
/// </remarks>
internal sealed unsafe class ShmPipeTransport : ConnectionTransport
{
    /// <summary>A sleeper wakes this often to check that its peer is still alive.</summary>
    private const long SliceNs = 50_000_000;

    private const int HeaderSize = 8;

    private readonly SharedPipe _pipe;
    private readonly int _end;
    private readonly RingControl* _tx;
    private readonly byte* _txData;
    private readonly RingControl* _rx;
    private readonly byte* _rxData;
    private readonly long _mask;
    private readonly int _capacity;
    private readonly PeerWatch _peer;
    private readonly int* _myCpu;
    private readonly int* _peerCpu;

    private long _wp;
    private long _cachedRp;
    private long _rp;

    /// <summary>The writer's position as last read: the reader drains up to it before touching the writer's cache line again.</summary>
    private long _cachedWp;
    private long _lastPeerCheckTick;
    private long _lastWakeReadPos = -1;
    private int _closed;

    /// <summary>1 for the open end plus one per operation in flight; the mapping is released when it reaches 0.</summary>
    private int _refs = 1;

    internal ShmPipeTransport(SharedPipe pipe, int end)
    {
        _pipe = pipe;
        _end = end;
        _capacity = pipe.Capacity;
        _mask = _capacity - 1;
        bool duplex = pipe.Duplex;
        CanSend = duplex || end == 0;
        CanReceive = duplex || end == 1;
        _tx = CanSend ? pipe.Control(end) : null;
        _txData = CanSend ? pipe.RingData(end) : null;
        int rxRing = duplex ? 1 - end : 0;
        _rx = CanReceive ? pipe.Control(rxRing) : null;
        _rxData = CanReceive ? pipe.RingData(rxRing) : null;
        if (_tx != null)
        {
            _wp = Volatile.Read(ref _tx->WritePos);
            _cachedRp = Volatile.Read(ref _tx->ReadPos);
        }

        if (_rx != null)
        {
            _rp = Volatile.Read(ref _rx->ReadPos);
        }

        _peer = new PeerWatch(pipe.Slot(1 - end));
        _myCpu = pipe.CpuHint(end);
        _peerCpu = pipe.CpuHint(1 - end);
        pipe.AddLocalEnd();
    }

    internal int End => _end;

    internal SharedPipe Pipe => _pipe;

    internal override string Description => $"pipe end '{_pipe.EndName(_end)}'";

    internal override bool CanSend { get; }

    internal override bool CanReceive { get; }

    internal override bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>The futex word a reader sleeps on, for <c>Connection.Wait</c>.</summary>
    internal int* DataSeqWord => &_rx->DataSeq;

    internal int* ReaderWaitersWord => &_rx->ReaderWaiters;

    /// <summary>Bytes readable now; refreshes <see cref="_cachedWp"/> (an acquire read, so the bytes before it are visible).</summary>
    private long Available => (_cachedWp = Volatile.Read(ref _rx->WritePos)) - _rp;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Align8(long n) => (n + 7) & ~7L;

    internal override void Send(ReadOnlySpan<byte> message)
    {
        ThrowIfCannot(CanSend, "send on", "receives");
        Enter();
        try
        {
            CheckPeerBeforeSend();
            int length = message.Length;
            long padded = Align8(length);
            long need = HeaderSize + padded;
            if (need <= _capacity)
            {
                // The whole record goes in at once and is published with one store, so the reader never sees half of it.
                WaitSpace(need);
                *(long*)(_txData + (_wp & _mask)) = length;
                CopyIn(_wp + HeaderSize, message);
                Publish(_wp + need);
                return;
            }

            WaitSpace(HeaderSize);
            *(long*)(_txData + (_wp & _mask)) = length;
            Publish(_wp + HeaderSize);
            long remaining = padded;
            int done = 0;
            while (remaining > 0)
            {
                // Wait for a good chunk of room rather than trickling a few bytes per wake-up.
                WaitSpace(Math.Min(remaining, _capacity / 2));
                long n = Math.Min(remaining, _capacity - (_wp - _cachedRp));
                int copy = (int)Math.Min(n, length - done);
                if (copy > 0)
                {
                    CopyIn(_wp, message.Slice(done, copy));
                    done += copy;
                }

                remaining -= n;
                Publish(_wp + n);
            }
        }
        finally
        {
            Exit();
        }
    }

    internal override int WaitMessage(Deadline deadline, CancellationToken ct)
    {
        ThrowIfCannot(CanReceive, "receive from", "sends");
        Enter();
        try
        {
            return WaitData(HeaderSize, deadline, ct) switch
            {
                WaitResult.Ready => PeekLength(),
                WaitResult.TimedOut => -1,
                _ => throw EndOfStream(),
            };
        }
        finally
        {
            Exit();
        }
    }

    internal override int ReceiveInto(Span<byte> buffer, Deadline deadline)
    {
        ThrowIfCannot(CanReceive, "receive from", "sends");
        Enter();
        try
        {
            switch (WaitData(HeaderSize, deadline, default))
            {
                case WaitResult.TimedOut:
                    return -1;
                case WaitResult.PeerGone:
                    throw EndOfStream();
            }

            int length = PeekLength();
            long need = HeaderSize + Align8(length);
            if (length > buffer.Length || need > _capacity)
            {
                // Too big for the buffer (nothing consumed), or a streamed message that ReadMessage handles.
                return -2 - length;
            }

            CopyOut(_rp + HeaderSize, buffer[..length]);
            Consume(_rp + need);
            return length;
        }
        finally
        {
            Exit();
        }
    }

    internal override ValueTask<int> WaitMessageAsync(CancellationToken ct) => AsyncReceiveWait.Run(this, ct);

    /// <summary>Counts this async waiter (so the writer wakes it) and registers the futex word with the watcher thread.</summary>
    internal Task<bool> BeginAsyncWait(CancellationToken ct)
    {
        Enter();
        int seq = Volatile.Read(ref _rx->DataSeq);
        Interlocked.Increment(ref _rx->ReaderWaiters);
        if (Available >= HeaderSize || _peer.IsGone())
        {
            return Task.FromResult(true);
        }

        return FutexWatcher.WaitAsync(&_rx->DataSeq, seq, Deadline.After(TimeSpan.FromTicks(SliceNs / 100)), _pipe.Mapping, ct);
    }

    internal void EndAsyncWait()
    {
        Interlocked.Decrement(ref _rx->ReaderWaiters);
        Exit();
    }

    internal override void ReadMessage(Span<byte> destination)
    {
        Enter();
        try
        {
            int length = PeekLength();
            Debug.Assert(destination.Length == length, "ReadMessage takes exactly the peeked length");
            long padded = Align8(length);
            long need = HeaderSize + padded;
            if (need <= _capacity)
            {
                // Small records are published whole (see Send), so all of it is here.
                CopyOut(_rp + HeaderSize, destination);
                Consume(_rp + need);
                return;
            }

            Consume(_rp + HeaderSize);
            long remaining = padded;
            int done = 0;
            while (remaining > 0)
            {
                if (WaitData(1, Deadline.Infinite, default) != WaitResult.Ready)
                {
                    throw new EndOfStreamException(
                        $"The {Description} lost its peer in the middle of a {length}-byte message ({done} bytes arrived); the message is incomplete.");
                }

                long n = Math.Min(remaining, Available);
                int copy = (int)Math.Min(n, length - done);
                if (copy > 0)
                {
                    CopyOut(_rp, destination.Slice(done, copy));
                    done += copy;
                }

                remaining -= n;
                Consume(_rp + n);
            }
        }
        finally
        {
            Exit();
        }
    }

    internal override bool IsReadable()
    {
        ThrowIfCannot(CanReceive, "poll", "sends");
        Enter();
        try
        {
            return Available >= HeaderSize || _peer.IsGone();
        }
        finally
        {
            Exit();
        }
    }

    internal override bool HasMessage() => CanReceive && !IsClosed && Available >= HeaderSize;

    /// <summary>
    /// Prepares a <c>futex_waitv</c> entry for <see cref="ConnectionWaiter"/>: keeps the mapping alive, counts a reader
    /// waiter and returns the word and its current value. False (nothing to undo) if a message is already here.
    /// </summary>
    internal bool BeginWait(out Interop.Futex.FutexWaitv entry)
    {
        Enter();
        int seq = Volatile.Read(ref _rx->DataSeq);
        Interlocked.Increment(ref _rx->ReaderWaiters);
        entry = new Interop.Futex.FutexWaitv { Uaddr = (ulong)&_rx->DataSeq, Val = (uint)seq, Flags = Interop.Futex.FUTEX_32 };
        if (Available >= HeaderSize)
        {
            EndWait();
            return false;
        }

        return true;
    }

    internal void EndWait()
    {
        Interlocked.Decrement(ref _rx->ReaderWaiters);
        Exit();
    }

    private int PeekLength()
    {
        long length = *(long*)(_rxData + (_rp & _mask));
        if (length is < 0 or > int.MaxValue)
        {
            throw new InvalidDataException($"The {Description} holds a corrupt record header ({length}); the pipe cannot be read further.");
        }

        return (int)length;
    }

    private enum WaitResult
    {
        Ready,
        TimedOut,
        PeerGone,
    }

    private WaitResult WaitData(long need, Deadline deadline, CancellationToken ct)
    {
        if (_cachedWp - _rp >= need || Available >= need)
        {
            return WaitResult.Ready;
        }

        bool mayBlock = deadline.IsInfinite || !deadline.HasPassed;
        PipeSpinner spinner = new(mayBlock && SharesCpuWithPeer());
        while (true)
        {
            ThrowIfClosed();
            if (mayBlock && spinner.SpinOnce())
            {
                if (Available >= need)
                {
                    return WaitResult.Ready;
                }

                continue;
            }

            // Read the sequence before re-checking: a publish after this read changes it, so the sleep cannot miss it.
            int seq = Volatile.Read(ref _rx->DataSeq);
            if (Available >= need)
            {
                return WaitResult.Ready;
            }

            if (_peer.IsGone())
            {
                // Everything the peer published before it went is visible now: drain first, then end-of-stream.
                return Available >= need ? WaitResult.Ready : WaitResult.PeerGone;
            }

            if (!mayBlock || deadline.HasPassed)
            {
                return WaitResult.TimedOut;
            }

            _ = FutexWait.Sleep(&_rx->DataSeq, seq, &_rx->ReaderWaiters, deadline, ct, SliceNs);
        }
    }

    private void WaitSpace(long need)
    {
        if (_capacity - (_wp - _cachedRp) >= need)
        {
            return;
        }

        PipeSpinner spinner = new(SharesCpuWithPeer());
        while (true)
        {
            _cachedRp = Volatile.Read(ref _tx->ReadPos);
            if (_capacity - (_wp - _cachedRp) >= need)
            {
                return;
            }

            ThrowIfClosed();
            if (spinner.SpinOnce())
            {
                continue;
            }

            int seq = Volatile.Read(ref _tx->SpaceSeq);
            _cachedRp = Volatile.Read(ref _tx->ReadPos);
            if (_capacity - (_wp - _cachedRp) >= need)
            {
                return;
            }

            if (_peer.IsGone())
            {
                throw Broken();
            }

            _ = FutexWait.Sleep(&_tx->SpaceSeq, seq, &_tx->WriterWaiters, Deadline.Infinite, default, SliceNs);
        }
    }

    /// <summary>
    /// Records the CPU this end waits on (a write only when it changed, so the line stays shared) and says whether the
    /// peer last waited on the same one.
    /// </summary>
    private bool SharesCpuWithPeer()
    {
        int cpu = Thread.GetCurrentProcessorId();
        if (Volatile.Read(ref *_myCpu) != cpu)
        {
            Volatile.Write(ref *_myCpu, cpu);
        }

        return Volatile.Read(ref *_peerCpu) == cpu;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Publish(long wp)
    {
        _wp = wp;
        Volatile.Write(ref _tx->WritePos, wp);

        // The interlocked increment is a full fence: the waiter count is read after the publish, so a reader that counts
        // itself afterwards sees the new sequence inside futex_wait and does not sleep (FutexWait.Wake).
        Interlocked.Increment(ref _tx->DataSeq);
        if (Volatile.Read(ref _tx->ReaderWaiters) > 0)
        {
            // One wake per reader round: if the reader has not consumed anything since our last wake, it has not run yet,
            // and when it runs it drains everything published. (No reader sleeps while published data is unconsumed,
            // because every record satisfies a reader's wait.) This keeps a fast writer from paying a system call per
            // message while the woken reader waits for a CPU.
            long rp = Volatile.Read(ref _tx->ReadPos);
            if (rp != _lastWakeReadPos)
            {
                _lastWakeReadPos = rp;
                _ = Interop.Futex.Wake(&_tx->DataSeq, int.MaxValue);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Consume(long rp)
    {
        _rp = rp;
        Volatile.Write(ref _rx->ReadPos, rp);
        Interlocked.Increment(ref _rx->SpaceSeq);
        FutexWait.Wake(&_rx->SpaceSeq, &_rx->WriterWaiters, int.MaxValue);
    }

    private void CopyIn(long pos, ReadOnlySpan<byte> source)
    {
        int offset = (int)(pos & _mask);
        int first = Math.Min(source.Length, _capacity - offset);
        source[..first].CopyTo(new Span<byte>(_txData + offset, first));
        if (first < source.Length)
        {
            source[first..].CopyTo(new Span<byte>(_txData, source.Length - first));
        }
    }

    private void CopyOut(long pos, Span<byte> destination)
    {
        int offset = (int)(pos & _mask);
        int first = Math.Min(destination.Length, _capacity - offset);
        new ReadOnlySpan<byte>(_rxData + offset, first).CopyTo(destination);
        if (first < destination.Length)
        {
            new ReadOnlySpan<byte>(_rxData, destination.Length - first).CopyTo(destination[first..]);
        }
    }

    private void CheckPeerBeforeSend()
    {
        // The closed flag is one read of a line the peer rarely writes; liveness costs a poll(2), so at most once per tick
        // of the coarse clock (1-4 ms), which is read without a system call.
        if (_peer.IsClosed)
        {
            throw Broken();
        }

        long now = Environment.TickCount64;
        if (now != _lastPeerCheckTick)
        {
            _lastPeerCheckTick = now;
            if (_peer.IsGone())
            {
                throw Broken();
            }
        }
    }

    /// <summary>Marks this end as travelling to another process and returns the name it is opened by there.</summary>
    internal string BeginHandoff()
    {
        Enter();
        try
        {
            _pipe.BeginHandoff(_end);
            return _pipe.EndName(_end);
        }
        finally
        {
            Exit();
        }
    }

    internal override void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        PipeEndSlot* slot = _pipe.Slot(_end);
        if ((int)Volatile.Read(ref slot->Owner) == Interop.ProcessLiveness.CurrentPid)
        {
            if (Volatile.Read(ref slot->HandoffPending) != 0)
            {
                // Given to another process that has not opened it yet: let go without closing it for the peer.
                Volatile.Write(ref slot->Owner, 0);
            }
            else
            {
                Volatile.Write(ref slot->Closed, 1);
            }
        }

        // Wake everyone who sleeps on either ring (the peer, and a local thread blocked in this end) so they re-check.
        WakeAll(_tx);
        WakeAll(_rx);
        _peer.Dispose();
        Exit();
    }

    private static void WakeAll(RingControl* c)
    {
        if (c == null)
        {
            return;
        }

        Interlocked.Increment(ref c->DataSeq);
        Interlocked.Increment(ref c->SpaceSeq);
        _ = Interop.Futex.Wake(&c->DataSeq, int.MaxValue);
        _ = Interop.Futex.Wake(&c->SpaceSeq, int.MaxValue);
    }

    /// <summary>Keeps the mapping alive while an operation runs, so a Close from another thread cannot unmap it underneath.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Enter()
    {
        int r = Volatile.Read(ref _refs);
        while (r > 0)
        {
            int seen = Interlocked.CompareExchange(ref _refs, r + 1, r);
            if (seen == r)
            {
                if (Volatile.Read(ref _closed) != 0)
                {
                    Exit();
                    ThrowClosed();
                }

                return;
            }

            r = seen;
        }

        ThrowClosed();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Exit()
    {
        if (Interlocked.Decrement(ref _refs) == 0)
        {
            _pipe.ReleaseLocalEnd();
        }
    }

    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            ThrowClosed();
        }
    }

    private void ThrowIfCannot(bool can, string verb, string only)
    {
        if (!can)
        {
            throw new InvalidOperationException($"Cannot {verb} the {Description}: it is the one-way pipe's end that only {only}.");
        }
    }

    private void ThrowClosed() => throw new ObjectDisposedException(Description, $"The {Description} is closed; use an open Connection.");

    private ConnectionBrokenException Broken() =>
        new($"The peer of the {Description} has closed its end or exited; nothing more can be sent.");

    private EndOfStreamException EndOfStream() =>
        new($"The peer of the {Description} has closed its end or exited, and every message it sent has been received.");

    internal static int DefaultCapacity => 256 * 1024;

    internal static int CheckCapacity(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 4096);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1 << 30);
        if ((capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The pipe buffer size must be a power of two (for example 65536 or 262144).");
        }

        return capacity;
    }
}
