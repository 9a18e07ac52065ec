using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Multiprocessing.Internal;

namespace Multiprocessing.Pipes;

/// <summary>
/// One end of a shared-memory pipe: it writes ring <c>End</c> and reads ring <c>1 - End</c>, each a
/// <see cref="SharedRing"/> used single-producer single-consumer (no locks: each position has one writer). A side that
/// finds nothing to read spins adaptively (<see cref="PipeSpinner"/>), then sleeps on the ring's data word in slices,
/// checking between slices whether the peer is gone (a dead process wakes nobody); a writer facing a full ring asks the
/// same question through <see cref="SharedRing.ConsumerGone"/>. A message larger than a quarter of the ring is streamed
/// through it in chunks by the ring.
/// <para>
/// The send and receive paths are left to tiered compilation, as the queues' are: AggressiveOptimization made a fresh
/// process's first messages faster, but the tier-1 code with dynamic PGO that replaces tier 0 after a few hundred
/// milliseconds streamed small messages about 1.5–2× faster (bench pipe_stream, alternating builds).
/// </para>
/// </summary>
internal sealed unsafe class ShmPipeTransport : ConnectionTransport
{
    /// <summary>A sleeper wakes this often to check that its peer is still alive.</summary>
    private const long SliceNs = SharedRing.SliceNs;

    private readonly SharedPipe _pipe;
    private readonly int _end;
    private readonly SharedRing? _tx;
    private readonly SharedRing? _rx;
    private readonly PeerWatch _peer;
    private readonly int* _myCpu;
    private readonly int* _peerCpu;

    private readonly bool _canSend;
    private readonly bool _canReceive;

    private long _lastPeerCheckTick;
    private int _colocatedWaits;
    private int _closed;

    /// <summary>1 for the open end plus one per operation in flight; the mapping is released when it reaches 0.</summary>
    private int _refs = 1;

    internal ShmPipeTransport(SharedPipe pipe, int end)
    {
        _pipe = pipe;
        _end = end;
        bool duplex = pipe.Duplex;
        _canSend = duplex || end == 0;
        _canReceive = duplex || end == 1;
        _peer = new PeerWatch(pipe.Slot(1 - end));
        if (CanSend)
        {
            _tx = pipe.Ring(end);
            // Also true once this end is closed by another thread: the blocked Send then reports the close.
            _tx.ConsumerGone = () => IsClosed || _peer.IsGone();
        }

        _rx = CanReceive ? pipe.Ring(duplex ? 1 - end : 0) : null;
        _myCpu = pipe.CpuHint(end);
        _peerCpu = pipe.CpuHint(1 - end);
        pipe.AddLocalEnd();
    }

    internal int End => _end;

    /// <summary>Waits so far that began on the CPU where the peer last waited (the benchmark reports it).</summary>
    internal int ColocatedWaits => _colocatedWaits;

    internal SharedPipe Pipe => _pipe;

    internal override string Description => $"pipe end '{_pipe.EndName(_end)}'";

    internal override bool CanSend => _canSend;

    internal override bool CanReceive => _canReceive;

    internal override bool IsClosed => Volatile.Read(ref _closed) != 0;

    internal override void Send(ReadOnlySpan<byte> message)
    {
        if (!_canSend)
        {
            ThrowCannot("send on", "receives");
        }

        Enter();
        try
        {
            RingStatus s = _tx!.Write(message, Deadline.Infinite, default);
            if (s != RingStatus.Ok)
            {
                ThrowIfClosed();
                throw Broken();
            }

            // Checked after the publish, off the hand-off's critical path: a message sent to a peer that is gone is never
            // read, and this send throws all the same.
            CheckPeerAfterSend();
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
            return WaitData(deadline, ct) switch
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
        if (!_canReceive)
        {
            ThrowCannot("receive from", "sends");
        }

        Enter();
        try
        {
            // Try first: a receiver that keeps up with a stream finds the next message already there, and the ring's
            // read path is the only check it needs.
            SpanRecordSink sink = new(buffer);
            RingStatus s = _rx!.TryRead(ref sink);
            if (s == RingStatus.Empty && !sink.Discarded)
            {
                switch (WaitData(deadline, default))
                {
                    case WaitResult.TimedOut:
                        return -1;
                    case WaitResult.PeerGone:
                        throw EndOfStream();
                }

                s = _rx.TryRead(ref sink);
            }

            if (s == RingStatus.Ok)
            {
                return (int)sink.Length;
            }

            if (s == RingStatus.Refused && !sink.Discarded)
            {
                // Too big for the buffer: nothing consumed.
                return -2 - CheckLength(sink.Length);
            }

            throw sink.Discarded ? Incomplete(sink.Length) : EndOfStream();
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
        ulong tail = _rx!.Tail;
        _rx.AddDataWaiter();
        if (_rx.HasData || _peer.IsGone())
        {
            return Task.FromResult(true);
        }

        return _rx.WatchData(tail, Deadline.After(TimeSpan.FromTicks(SliceNs / 100)), ct);
    }

    internal override void ReadMessage(Span<byte> destination)
    {
        Enter();
        try
        {
            SpanRecordSink sink = new(destination);
            RingStatus s = _rx!.TryRead(ref sink);
            if (s != RingStatus.Ok || sink.Length != destination.Length)
            {
                throw sink.Discarded ? Incomplete(destination.Length) : EndOfStream();
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
            return _rx!.HasData || _peer.IsGone();
        }
        finally
        {
            Exit();
        }
    }

    internal override bool HasMessage() => CanReceive && !IsClosed && _rx!.HasData;

    /// <summary>
    /// Prepares a <c>futex_waitv</c> entry for <see cref="ConnectionWaiter"/>: keeps the mapping alive, counts a reader
    /// waiter and returns the word and its current value. False (nothing to undo) if a message is already here.
    /// </summary>
    internal bool BeginWait(out Interop.Futex.FutexWaitv entry)
    {
        Enter();
        ulong tail = _rx!.Tail;
        _rx.AddDataWaiter();
        entry = new Interop.Futex.FutexWaitv { Uaddr = (ulong)_rx.DataWord, Val = (uint)tail, Flags = Interop.Futex.FUTEX_32 };
        if (_rx.HasData)
        {
            EndWait();
            return false;
        }

        return true;
    }

    /// <summary>Undoes <see cref="BeginWait"/> or <see cref="BeginAsyncWait"/>: uncounts the waiter and lets the mapping go.</summary>
    internal void EndWait()
    {
        _rx!.RemoveDataWaiter();
        Exit();
    }

    /// <summary>The length of the next message (waited for): the ring skips what is not a message and consumes nothing.</summary>
    private int PeekLength()
    {
        LengthProbe probe = new() { Length = -1 };
        if (_rx!.TryRead(ref probe) != RingStatus.Refused)
        {
            // Only a stream abandoned by a producer that went away leaves data that is not a message.
            throw EndOfStream();
        }

        return CheckLength(probe.Length);
    }

    private int CheckLength(long length)
    {
        if (length is < 0 or > int.MaxValue)
        {
            throw new InvalidDataException($"The {Description} holds a message of {length} bytes, more than a Connection can take; the pipe cannot be read further.");
        }

        return (int)length;
    }

    private enum WaitResult
    {
        Ready,
        TimedOut,
        PeerGone,
    }

    private WaitResult WaitData(Deadline deadline, CancellationToken ct)
    {
        SharedRing rx = _rx!;
        if (rx.HasData)
        {
            return WaitResult.Ready;
        }

        bool mayBlock = deadline.IsInfinite || !deadline.HasPassed;
        PipeSpinner spinner = Spinner(mayBlock);
        while (true)
        {
            ThrowIfClosed();
            if (mayBlock && spinner.SpinOnce())
            {
                if (rx.PollData())
                {
                    return WaitResult.Ready;
                }

                continue;
            }

            // Read the word before re-checking: a publish after this read changes it, so the sleep cannot miss it.
            ulong tail = rx.Tail;
            if (rx.HasData)
            {
                return WaitResult.Ready;
            }

            if (_peer.IsGone())
            {
                // Everything the peer published before it went is visible now: drain first, then end-of-stream.
                return rx.HasData ? WaitResult.Ready : WaitResult.PeerGone;
            }

            if (!mayBlock || deadline.HasPassed)
            {
                return WaitResult.TimedOut;
            }

            _ = FutexWait.Sleep(rx.DataWord, (int)tail, &rx.Header->DataWaiters, deadline, ct, SliceNs);
        }
    }

    /// <summary>Spin, yield or sleep at once (see <see cref="PipeSpinner"/>), from where this end and its peer last waited.</summary>
    private PipeSpinner Spinner(bool mayBlock)
    {
        if (!mayBlock || !SharesCpuWithPeer())
        {
            return new PipeSpinner(false);
        }

        return (++_colocatedWaits & 31) == 0 ? PipeSpinner.SleepAtOnce : new PipeSpinner(true);
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

    private void CheckPeerAfterSend()
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
        _tx?.WakeAll();
        _rx?.WakeAll();
        _peer.Dispose();
        Exit();
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
            ThrowCannot(verb, only);
        }
    }

    [DoesNotReturn]
    private void ThrowCannot(string verb, string only) =>
        throw new InvalidOperationException($"Cannot {verb} the {Description}: it is the one-way pipe's end that only {only}.");

    private void ThrowClosed() => throw new ObjectDisposedException(Description, $"The {Description} is closed; use an open Connection.");

    private ConnectionBrokenException Broken() =>
        new($"The peer of the {Description} has closed its end or exited; nothing more can be sent.");

    private EndOfStreamException Incomplete(long length) =>
        new($"The {Description} lost its peer in the middle of a {length}-byte message; the message is incomplete.");

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
