using System.Runtime.InteropServices;
using Multiprocessing.Interop;

namespace Multiprocessing.Internal;

/// <summary>
/// Async waits on futex words without parking a thread-pool thread per waiter: one dedicated thread per 127 waits
/// sleeps in <c>futex_waitv</c> on all of them plus a private control word, and completes a task when a word
/// changes, is woken, times out or is cancelled. Completions run asynchronously, never on the watcher thread.
/// </summary>
internal sealed unsafe class FutexWatcher
{
    private const int Capacity = Futex.FUTEX_WAITV_MAX - 1;

    private static readonly List<FutexWatcher> s_watchers = [];

    private readonly List<Registration> _registrations = [];

    /// <summary>Removed registrations whose mapping reference the watcher thread drops once no snapshot uses them.</summary>
    private readonly List<Registration> _retired = [];
    private readonly int* _control;
    private readonly Futex.FutexWaitv* _waitv;

    private FutexWatcher()
    {
        _control = (int*)NativeMemory.AlignedAlloc(64, 64);
        *_control = 0;
        _waitv = (Futex.FutexWaitv*)NativeMemory.AlignedAlloc((nuint)(sizeof(Futex.FutexWaitv) * Futex.FUTEX_WAITV_MAX), 64);
        Thread thread = new(Run) { IsBackground = true, Name = "Multiprocessing futex watcher" };
        thread.Start();
    }

    /// <summary>
    /// Completes with true once <c>*word != expected</c> or the word is woken (spurious completions are possible:
    /// re-check and wait again), false when the deadline passes; cancels with <paramref name="ct"/>. The caller
    /// keeps the mapping alive (<paramref name="keepAlive"/> is ref-counted until the wait ends). When
    /// <paramref name="waiters"/> is given, the wait counts itself there while registered, like a blocking sleeper,
    /// so that a waker that skips the wake syscall when nobody sleeps (<see cref="FutexWait.Wake"/>) still wakes it.
    /// </summary>
    internal static Task<bool> WaitAsync(int* word, int expected, Deadline deadline, SafeHandle? keepAlive, CancellationToken ct, int* waiters = null)
    {
        if (ct.IsCancellationRequested)
        {
            return Task.FromCanceled<bool>(ct);
        }

        if (Volatile.Read(ref *word) != expected)
        {
            return Task.FromResult(true);
        }

        if (deadline.HasPassed)
        {
            return Task.FromResult(false);
        }

        Registration r = new(word, expected, deadline, keepAlive, waiters);
        FutexWatcher watcher;
        lock (s_watchers)
        {
            watcher = s_watchers.Find(w => w._registrations.Count < Capacity) ?? AddWatcher();
            r.Watcher = watcher;
            lock (watcher._registrations)
            {
                watcher._registrations.Add(r);
            }
        }

        if (ct.CanBeCanceled)
        {
            r.CancelRegistration = ct.UnsafeRegister(static (s, token) => ((Registration)s!).Complete(false, token), r);
        }

        watcher.Poke();
        return r.Completion.Task;
    }

    private static FutexWatcher AddWatcher()
    {
        FutexWatcher w = new();
        s_watchers.Add(w);
        return w;
    }

    private void Poke()
    {
        Interlocked.Increment(ref *_control);
        _ = Futex.Wake(_control, 1);
    }

    private void Remove(Registration r)
    {
        lock (_registrations)
        {
            _registrations.Remove(r);
            _retired.Add(r);
        }

        Poke();
    }

    private void Run()
    {
        List<Registration> snapshot = [];
        while (true)
        {
            int control = Volatile.Read(ref *_control);
            snapshot.Clear();
            lock (_registrations)
            {
                // The previous snapshot is no longer read, so the mappings of retired waits may now go.
                foreach (Registration gone in _retired)
                {
                    gone.ReleaseMapping();
                }

                _retired.Clear();
                snapshot.AddRange(_registrations);
            }

            // First complete whatever is already decided, then sleep on the rest.
            long earliest = long.MaxValue;
            int n = 0;
            foreach (Registration r in snapshot)
            {
                if (Volatile.Read(ref *r.Word) != r.Expected)
                {
                    r.Complete(true, default);
                }
                else if (r.Deadline.HasPassed)
                {
                    r.Complete(false, default);
                }
                else
                {
                    earliest = Math.Min(earliest, r.Deadline.AbsoluteNanoseconds);
                    _waitv[n++] = new Futex.FutexWaitv { Uaddr = (ulong)r.Word, Val = (uint)r.Expected, Flags = Futex.FUTEX_32 };
                }
            }

            if (n != snapshot.Count)
            {
                continue;
            }

            _waitv[n] = new Futex.FutexWaitv { Uaddr = (ulong)_control, Val = (uint)control, Flags = Futex.FUTEX_32 };
            Futex.Timespec deadline = new() { Seconds = earliest / 1_000_000_000, Nanoseconds = earliest % 1_000_000_000 };
            int woken = Futex.WaitV(_waitv, n + 1, earliest == long.MaxValue ? null : &deadline);
            if (woken >= 0 && woken < n)
            {
                // Woken without a visible change (a notify): complete it so the caller re-checks.
                snapshot[woken].Complete(true, default);
            }
        }
    }

    private sealed class Registration(int* word, int expected, Deadline deadline, SafeHandle? keepAlive, int* waiters)
    {
        private readonly SafeHandle? _keepAlive = AddRef(keepAlive);

        // Counted after the mapping is referenced (above) and before the watcher reads the word: the interlocked
        // increment orders it before that read, which pairs with the waker's change-then-read-waiters.
        private readonly int* _waiters = CountIn(waiters);
        private int _done;

        internal int* Word { get; } = word;

        internal int Expected { get; } = expected;

        internal Deadline Deadline { get; } = deadline;

        internal FutexWatcher? Watcher { get; set; }

        internal CancellationTokenRegistration CancelRegistration { get; set; }

        internal TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal void Complete(bool changed, CancellationToken cancelledBy)
        {
            if (Interlocked.Exchange(ref _done, 1) != 0)
            {
                return;
            }

            if (_waiters != null)
            {
                // Still mapped: the mapping is released only after Remove has retired this registration.
                Interlocked.Decrement(ref *_waiters);
            }

            Watcher?.Remove(this);
            CancelRegistration.Dispose();
            if (cancelledBy.IsCancellationRequested)
            {
                Completion.TrySetCanceled(cancelledBy);
            }
            else
            {
                Completion.TrySetResult(changed);
            }
        }

        internal void ReleaseMapping() => _keepAlive?.DangerousRelease();

        private static int* CountIn(int* waiters)
        {
            if (waiters != null)
            {
                Interlocked.Increment(ref *waiters);
            }

            return waiters;
        }

        private static SafeHandle? AddRef(SafeHandle? h)
        {
            if (h is null)
            {
                return null;
            }

            bool added = false;
            h.DangerousAddRef(ref added);
            return added ? h : null;
        }
    }
}
