using System.Runtime.CompilerServices;
using System.Reflection;

namespace Multiprocessing.Pool;

/// <summary>
/// The pool's engine, independent of how workers run: pending chunks, which worker holds which chunk, dispatch,
/// results, worker deaths, recycling, close/terminate. Two threads: the dispatcher (the only one that writes to
/// worker queues, so a full queue never blocks result handling) and the result reader (the only one that reads the
/// result queue). A worker's death reaches the reader as a notice the parent posts into the result queue after the
/// process is gone, so every result the worker sent before dying is handled first, and what is left is exactly
/// what it lost.
/// </summary>
internal sealed class PoolCore : IDisposable
{
    private const int StateOpen = 0;
    private const int StateClosed = 1;
    private const int StateTerminated = 2;
    private const int StateBroken = 3;

    private static readonly byte[] s_stopFrame = [PoolFrames.Stop];
    private static readonly byte[] s_shutdownFrame = [PoolFrames.Shutdown];

    private readonly object _gate = new();
    private readonly IPoolBackend _backend;
    private readonly ProcessPoolOptions _options;
    private readonly byte[]? _initializerFrame;
    private readonly PoolWorker?[] _slots;
    private readonly List<PoolWorker> _workers = [];
    private readonly List<PoolWorker> _toDispose = [];
    private readonly LinkedList<PoolChunk> _pending = new();
    private readonly Dictionary<long, PoolChunk> _inFlight = [];
    private readonly Dictionary<(MethodInfo, Type), PoolTarget> _targets = [];
    private readonly TaskCompletionSource _allExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _reader;
    private readonly Thread _dispatcher;

    private int _state;
    private Exception? _brokenError;
    private bool _stopping;
    private bool _dispatcherWaiting;
    private bool _purgeWanted;
    private bool _disposed;
    private long _nextChunkId;
    private int _nextWorkerId;
    private double _averageChunkNs = -1;
    private int _startFailures;

    private const int MaxStartFailures = 3;
    private const int MaxPacketBytes = 64 << 10;
    private readonly PoolBuffer _packet = new(MaxPacketBytes + 64);

    internal PoolCore(IPoolBackend backend, ProcessPoolOptions options)
    {
        _backend = backend;
        _options = options;
        if (options.Initializer is { } init)
        {
            PoolBuffer b = new();
            PoolInitializer.Write(init, [.. options.InitializerArguments], b);
            _initializerFrame = b.WrittenSpan.ToArray();
        }

        _slots = new PoolWorker?[options.WorkerCount];
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "ProcessPool results" };
        _dispatcher = new Thread(DispatchLoop) { IsBackground = true, Name = "ProcessPool dispatch" };
        lock (_gate)
        {
            // All workers start at once, each on its own thread-pool thread: a pool of N costs one start, not N.
            for (int slot = 0; slot < _slots.Length; slot++)
            {
                StartWorkerLocked(slot);
            }
        }

        _reader.Start();
        _dispatcher.Start();
    }

    internal int WorkerCount => _slots.Length;

    /// <summary>The process ids of the current workers (0 for one still starting).</summary>
    internal int[] WorkerPids()
    {
        lock (_gate)
        {
            return Array.ConvertAll(_slots, w => w?.Pid ?? 0);
        }
    }

    internal long NextChunkId() => Interlocked.Increment(ref _nextChunkId);

    /// <summary>The target for <paramref name="function"/>, described once per pool.</summary>
    internal PoolTarget GetTarget(Delegate function, string paramName)
    {
        ArgumentNullException.ThrowIfNull(function, paramName);
        lock (_targets)
        {
            (MethodInfo, Type) key = (function.Method, function.GetType());
            if (!_targets.TryGetValue(key, out PoolTarget? target))
            {
                target = PoolTarget.Describe(_targets.Count + 1, function, paramName);
                _ = target.Definition;
                _targets.Add(key, target);
            }
            else if (function.Target is not null)
            {
                _ = PoolTarget.Describe(target.Id, function, paramName);
            }

            return target;
        }
    }

    /// <summary>Queues a call's chunks for dispatch.</summary>
    /// <exception cref="InvalidOperationException">The pool is closed, terminated or broken.</exception>
    internal void Enqueue(IReadOnlyList<PoolChunk> chunks)
    {
        lock (_gate)
        {
            ThrowIfNotOpenLocked();
            foreach (PoolChunk c in chunks)
            {
                _pending.AddLast(c);
            }

            WakeDispatcherLocked();
        }
    }

    /// <summary>A job finished early (failed or cancelled): its pending chunks should be dropped.</summary>
    internal void OnJobFinished()
    {
        lock (_gate)
        {
            _purgeWanted = true;
            WakeDispatcherLocked();
        }
    }

    internal void ThrowIfNotOpen()
    {
        lock (_gate)
        {
            ThrowIfNotOpenLocked();
        }
    }

    internal void Close()
    {
        lock (_gate)
        {
            if (_state == StateOpen)
            {
                _state = StateClosed;
                _purgeWanted = true;
                WakeDispatcherLocked();
            }
        }
    }

    internal void Terminate()
    {
        List<PoolChunk> failed;
        List<PoolWorker> workers;
        lock (_gate)
        {
            if (_state == StateTerminated)
            {
                return;
            }

            _state = StateTerminated;
            failed = TakeAllWorkLocked();
            workers = [.. _workers];
            CheckAllExitedLocked();
        }

        foreach (PoolWorker w in workers)
        {
            w.Handle?.Kill(); // a worker still starting is killed when its start completes
        }

        Fail(failed, new InvalidOperationException("The process pool was terminated before this task finished."));
    }

    internal bool Join(TimeSpan timeout)
    {
        lock (_gate)
        {
            if (_state == StateOpen)
            {
                throw new InvalidOperationException("The process pool is still open: call Close (finish the work) or Terminate (stop now) before Join.");
            }
        }

        return _allExited.Task.Wait(timeout);
    }

    internal Task JoinAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            if (_state == StateOpen)
            {
                throw new InvalidOperationException("The process pool is still open: call Close (finish the work) or Terminate (stop now) before Join.");
            }
        }

        return _allExited.Task.WaitAsync(ct);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        if (!_allExited.Task.IsCompleted)
        {
            Terminate();
        }

        _ = _allExited.Task.Wait(TimeSpan.FromSeconds(10));
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        try
        {
            _ = _backend.Results.TrySend(s_shutdownFrame, TimeSpan.FromSeconds(5));
        }
        catch (ObjectDisposedException)
        {
        }

        bool readerDone = _reader.Join(TimeSpan.FromSeconds(5));
        bool dispatcherDone = _dispatcher.Join(TimeSpan.FromSeconds(5));
        lock (_gate)
        {
            foreach (PoolWorker w in _workers.Concat(_toDispose))
            {
                w.Handle?.Kill();
                w.Handle?.Dispose();
                if (dispatcherDone)
                {
                    w.Tasks.Dispose();
                }
            }

            _workers.Clear();
            _toDispose.Clear();
        }

        // Unmapping a queue under a thread that still uses it would crash the process. If a thread did not stop (a
        // progress callback that blocks), leave the queues mapped: their names go when this process exits.
        if (readerDone && dispatcherDone)
        {
            _backend.Dispose();
        }
    }

    private void ThrowIfNotOpenLocked()
    {
        switch (_state)
        {
            case StateClosed:
                throw new InvalidOperationException("The process pool is closed: it accepts no new work. Create a new pool.");
            case StateTerminated:
                throw new InvalidOperationException("The process pool was terminated: it accepts no new work. Create a new pool.");
            case StateBroken:
                throw new InvalidOperationException($"The process pool cannot run tasks: {_brokenError!.Message}", _brokenError);
        }
    }

    private void WakeDispatcherLocked()
    {
        if (_dispatcherWaiting)
        {
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>
    /// How many chunks a worker may hold: enough queued work to keep it busy through the parent's refill wake-ups,
    /// but only about <see cref="QueuedWorkBudgetNs"/> of it, so that at the end of a call no worker sits on a backlog
    /// while another is idle. Until a chunk has been timed, 2 (one running, one waiting).
    /// </summary>
    private int InFlightLimitLocked() =>
        _averageChunkNs < 0 ? 2 : (int)Math.Clamp(QueuedWorkBudgetNs / Math.Max(_averageChunkNs, 1), 2, MaxInFlight);

    private const double QueuedWorkBudgetNs = 2_000_000;
    private const int MaxInFlight = 4096;

    /// <summary>Bytes of chunk frames a worker may hold: half its queue's ring, so a send rarely waits for room.</summary>
    private const int MaxInFlightBytes = 512 << 10;

    private void StartWorkerLocked(int slot)
    {
        IPoolChannel tasks = _backend.CreateTaskChannel();
        PoolWorker w = new(++_nextWorkerId, slot, $"{_options.WorkerNamePrefix}-{slot + 1}", tasks);
        _slots[slot] = w;
        _workers.Add(w);
        if (_initializerFrame is not null)
        {
            w.KnownTargets.Add(-1); // marks "initializer not sent yet"
        }

        _ = Task.Run(() => StartProcess(w));
    }

    private void StartProcess(PoolWorker w)
    {
        IPoolWorkerHandle handle;
        try
        {
            handle = _backend.StartWorker(w.Name, w.Tasks);
        }
#pragma warning disable CA1031 // Any start failure breaks the pool with that failure as the cause.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Break(new InvalidOperationException($"The process pool could not start its worker {w.Name}: {e.Message}", e));
            lock (_gate)
            {
                w.HasExited = true;
                _ = _workers.Remove(w);
                _toDispose.Add(w);
                CheckAllExitedLocked();
            }

            return;
        }

        bool kill;
        lock (_gate)
        {
            w.Handle = handle;
            kill = _state == StateTerminated || _disposed;
        }

        if (kill)
        {
            handle.Kill();
        }

        _ = handle.Exited.ContinueWith(
            t => PostExited(w.Id, t.IsCompletedSuccessfully ? t.Result : null),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void PostExited(int workerId, int? exitCode)
    {
        PoolBuffer b = new(16);
        b.WriteByte(PoolFrames.WorkerExited);
        b.WriteInt32(workerId);
        b.WriteInt32(exitCode ?? int.MinValue);
        try
        {
            while (!_backend.Results.TrySend(b.WrittenSpan, TimeSpan.FromSeconds(1)))
            {
                lock (_gate)
                {
                    if (_stopping)
                    {
                        return;
                    }
                }
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void Break(Exception error)
    {
        List<PoolChunk> failed;
        lock (_gate)
        {
            if (_state is StateTerminated or StateBroken)
            {
                return;
            }

            _state = StateBroken;
            _brokenError = error;
            failed = TakeAllWorkLocked();
            foreach (PoolWorker w in _workers)
            {
                w.Retiring = true;
            }

            CheckAllExitedLocked();
            WakeDispatcherLocked();
        }

        Fail(failed, error);
    }

    private List<PoolChunk> TakeAllWorkLocked()
    {
        List<PoolChunk> all = [.. _pending, .. _inFlight.Values];
        _pending.Clear();
        _inFlight.Clear();
        foreach (PoolWorker w in _workers)
        {
            w.InFlight = 0;
            w.InFlightBytes = 0;
        }

        return all;
    }

    private void CheckAllExitedLocked()
    {
        if (_state != StateOpen && _workers.Count == 0)
        {
            _ = _allExited.TrySetResult();
        }
    }

    private static void Fail(List<PoolChunk> chunks, Exception error)
    {
        foreach (PoolChunk c in chunks)
        {
            c.Job.OnFailure(c, error);
        }
    }

    // ---- dispatcher thread ----

    private void DispatchLoop()
    {
        List<(PoolWorker Worker, byte[] Frame)> sends = [];
        List<PoolWorker> dispose = [];
        while (true)
        {
            lock (_gate)
            {
                while (true)
                {
                    if (_stopping)
                    {
                        return;
                    }

                    dispose.AddRange(_toDispose);
                    _toDispose.Clear();
                    CollectSendsLocked(sends);
                    if (sends.Count > 0 || dispose.Count > 0)
                    {
                        break;
                    }

                    _dispatcherWaiting = true;
                    _ = Monitor.Wait(_gate);
                    _dispatcherWaiting = false;
                }
            }

            // Only this thread writes to task queues, so a queue is never disposed while a send is in progress.
            foreach (PoolWorker w in dispose)
            {
                w.Handle?.Dispose();
                w.Tasks.Dispose();
            }

            dispose.Clear();
            SendAll(sends);
            sends.Clear();
        }
    }

    /// <summary>
    /// Sends each worker its frames in order, packing runs of small ones into TaskBatch messages: tasks are still
    /// assigned and accounted one chunk at a time, but a burst of tiny tasks costs one queue operation (and at most
    /// one wake-up) per packet instead of one per task.
    /// </summary>
    private void SendAll(List<(PoolWorker Worker, byte[] Frame)> sends)
    {
        if (sends.Count == 1)
        {
            Send(sends[0].Worker, sends[0].Frame);
            return;
        }

        foreach (PoolWorker w in sends.Select(x => x.Worker).Distinct().ToList())
        {
            int n = 0;
            byte[]? single = null;
            foreach ((PoolWorker x, byte[] frame) in sends)
            {
                if (x != w)
                {
                    continue;
                }

                if (frame.Length > MaxPacketBytes / 4)
                {
                    Flush(w, ref n, ref single);
                    Send(w, frame);
                    continue;
                }

                if (n > 0 && _packet.Length + 4 + frame.Length > MaxPacketBytes)
                {
                    Flush(w, ref n, ref single);
                }

                if (n == 0)
                {
                    _packet.BeginBatch(PoolFrames.TaskBatch);
                    single = frame;
                }

                _packet.AddToBatch(frame);
                n++;
            }

            Flush(w, ref n, ref single);
        }

        void Flush(PoolWorker w, ref int n, ref byte[]? single)
        {
            if (n == 1)
            {
                Send(w, single!);
            }
            else if (n > 1)
            {
                _packet.EndBatch(n);
                Send(w, _packet.WrittenSpan);
            }

            n = 0;
            single = null;
        }
    }

    private void Send(PoolWorker w, ReadOnlySpan<byte> frame)
    {
        // A worker that stops reading (dead, or busy with a long task while its queue is full) must not block the
        // dispatcher forever: re-check between bounded waits.
        while (!w.Tasks.TrySend(frame, TimeSpan.FromMilliseconds(20)))
        {
            lock (_gate)
            {
                if (w.HasExited || _stopping || _state == StateTerminated)
                {
                    return;
                }
            }
        }
    }

    private void CollectSendsLocked(List<(PoolWorker Worker, byte[] Frame)> sends)
    {
        if (_purgeWanted)
        {
            _purgeWanted = false;
            for (LinkedListNode<PoolChunk>? n = _pending.First; n is not null;)
            {
                LinkedListNode<PoolChunk>? next = n.Next;
                if (n.Value.Job.IsFinished)
                {
                    _pending.Remove(n);
                }

                n = next;
            }
        }

        if (_state is StateOpen or StateClosed)
        {
            int limit = InFlightLimitLocked();
            while (_pending.First is { } node)
            {
                PoolChunk chunk = node.Value;
                if (chunk.Job.IsFinished)
                {
                    _pending.RemoveFirst();
                    continue;
                }

                PoolWorker? best = null;
                foreach (PoolWorker w in _workers)
                {
                    if (w.Retiring || w.HasExited || w.InFlight >= limit || (best is not null && w.InFlight >= best.InFlight))
                    {
                        continue;
                    }

                    if (w.InFlight > 0 && w.InFlightBytes + chunk.Frame.Length > MaxInFlightBytes)
                    {
                        w.WaitsForBytes = true; // the result thread wakes us when half of it has drained
                        continue;
                    }

                    best = w;
                }

                if (best is null)
                {
                    break;
                }

                _pending.RemoveFirst();
                AssignLocked(best, chunk, sends);
            }
        }

        if (_state == StateClosed && _pending.Count == 0 && _inFlight.Count == 0)
        {
            foreach (PoolWorker w in _workers)
            {
                w.Retiring = true;
            }
        }

        foreach (PoolWorker w in _workers)
        {
            if (w.KnownTargets.Remove(-1))
            {
                sends.Insert(0, (w, _initializerFrame!));
            }

            if (w.Retiring && !w.StopSent && !w.HasExited)
            {
                w.StopSent = true;
                sends.Add((w, s_stopFrame));
            }
        }
    }

    private void AssignLocked(PoolWorker w, PoolChunk chunk, List<(PoolWorker Worker, byte[] Frame)> sends)
    {
        if (w.KnownTargets.Add(chunk.Target.Id))
        {
            sends.Add((w, chunk.Target.Definition));
        }

        chunk.Worker = w;
        w.InFlight++;
        w.InFlightBytes += chunk.Frame.Length;
        w.TasksAssigned++;
        _inFlight.Add(chunk.Id, chunk);
        sends.Add((w, chunk.Frame));
        if (_options.MaxTasksPerChild > 0 && w.TasksAssigned >= _options.MaxTasksPerChild)
        {
            // Retire it after this task and start its replacement now, so the new process warms up meanwhile.
            w.Retiring = true;
            if (_slots[w.Slot] == w)
            {
                StartWorkerLocked(w.Slot);
            }
        }
    }

    // ---- result thread ----

    private void ReadLoop()
    {
        PoolBuffer buffer = new(64 * 1024);
        while (true)
        {
            try
            {
                if (!_backend.Results.TryReceive(buffer, Timeout.InfiniteTimeSpan))
                {
                    continue;
                }
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            try
            {
                if (!Handle(buffer.WrittenMemory))
                {
                    return;
                }
            }
#pragma warning disable CA1031 // A bad frame breaks the pool (every caller gets the error) rather than killing this thread silently.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Break(e);
            }
        }
    }

    private bool Handle(ReadOnlyMemory<byte> frame)
    {
        PoolFrameReader r = new(frame.Span);
        switch (r.ReadByte())
        {
            case PoolFrames.ResultBatch:
            {
                int n = r.ReadInt32();
                int position = r.Position;
                for (int i = 0; i < n; i++)
                {
                    _ = Handle(PoolFrameReader.NextInBatch(frame, ref position, i, n, "result"));
                }

                return true;
            }

            case PoolFrames.Result:
            {
                long id = r.ReadInt64();
                int count = r.ReadInt32();
                long ns = r.ReadInt64();
                PoolChunk? chunk = Complete(id, ns);
                if (chunk is not null)
                {
                    if (count != chunk.Count)
                    {
                        throw PoolFrameReader.Corrupt($"{count} results for a chunk of {chunk.Count} tasks");
                    }

                    Deliver(chunk, frame[r.Position..]);
                }

                return true;
            }

            case PoolFrames.Error:
            {
                long id = r.ReadInt64();
                int index = r.ReadInt32();
                string type = r.ReadRequiredString();
                string message = r.ReadRequiredString();
                string stack = r.ReadRequiredString();
                int pid;
                string name;
                PoolChunk? chunk;
                lock (_gate)
                {
                    pid = _inFlight.TryGetValue(id, out PoolChunk? c) ? c.Worker?.Pid ?? 0 : 0;
                    name = c?.Worker?.Name ?? "";
                    chunk = Complete(id, -1);
                }

                if (chunk is not null)
                {
                    _ = index;
                    chunk.Job.OnFailure(chunk, PoolErrors.Remote(type, message, stack, name, pid));
                }

                return true;
            }

            case PoolFrames.InitFailed:
            {
                int pid = r.ReadInt32();
                Exception remote = PoolErrors.Remote(r.ReadRequiredString(), r.ReadRequiredString(), r.ReadRequiredString(), "pool worker", pid);
                Break(new InvalidOperationException($"The pool's initializer failed in worker pid {pid}: {remote.Message}", remote));
                return true;
            }

            case PoolFrames.WorkerExited:
            {
                int id = r.ReadInt32();
                int code = r.ReadInt32();
                HandleExit(id, code == int.MinValue ? null : code);
                return true;
            }

            case PoolFrames.Shutdown:
                return false;

            default:
                throw PoolFrameReader.Corrupt($"operation {frame.Span[0]} in the result queue");
        }
    }

    private PoolChunk? Complete(long id, long ns)
    {
        lock (_gate)
        {
            if (!_inFlight.Remove(id, out PoolChunk? chunk))
            {
                return null; // terminated or broken meanwhile: the job already failed
            }

            PoolWorker w = chunk.Worker!;
            w.CompletedAny = true;
            _startFailures = 0;
            w.InFlight--;
            w.InFlightBytes -= chunk.Frame.Length;
            if (ns >= 0)
            {
                _averageChunkNs = _averageChunkNs < 0 ? ns : (0.8 * _averageChunkNs) + (0.2 * ns);
            }

            // Refill in batches: wake the dispatcher when a worker's queue is half empty, not after every result.
            bool bytesDrained = w.WaitsForBytes && w.InFlightBytes <= MaxInFlightBytes / 2;
            if ((_pending.Count > 0 && (w.InFlight <= InFlightLimitLocked() / 2 || bytesDrained)) || (_state == StateClosed && _inFlight.Count == 0))
            {
                w.WaitsForBytes = false;
                WakeDispatcherLocked();
            }

            return chunk;
        }
    }

    private static void Deliver(PoolChunk chunk, ReadOnlyMemory<byte> results)
    {
        try
        {
            chunk.Job.OnResult(chunk, results);
        }
#pragma warning disable CA1031 // Results that do not decode (or a progress callback that throws) fail that call only.
        catch (Exception e)
#pragma warning restore CA1031
        {
            chunk.Job.OnFailure(chunk, e);
        }
    }

    private void HandleExit(int workerId, int? exitCode)
    {
        List<PoolChunk> failed = [];
        int lost = 0;
        int pid = 0;
        WorkerException? failure = null;
        Exception? breakWith = null;
        lock (_gate)
        {
            PoolWorker? w = _workers.Find(x => x.Id == workerId);
            if (w is null)
            {
                return;
            }

            pid = w.Pid;
            failure = w.Handle?.Failure;

            // Workers that die before finishing a single task, again and again (a runtime that cannot start, an
            // initializer that kills the process): stop, rather than restart them forever as CPython does.
            _startFailures = w.CompletedAny || exitCode == 0 ? 0 : _startFailures + 1;
            if (_startFailures >= MaxStartFailures && _state is StateOpen or StateClosed)
            {
                breakWith = new InvalidOperationException(
                    $"The process pool's workers keep dying before they finish a task ({_startFailures} in a row; the last, pid {pid}, with exit code {exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}); see the workers' standard error.",
                    failure);
            }

            w.HasExited = true;
            _ = _workers.Remove(w);
            _toDispose.Add(w);
            foreach (PoolChunk c in _inFlight.Values.Where(c => c.Worker == w).ToList())
            {
                _ = _inFlight.Remove(c.Id);
                lost += c.Count;
                c.Worker = null;
                if (!c.Job.IsFinished && c.Crashes < _options.CrashRetries && _state is StateOpen or StateClosed)
                {
                    c.Crashes++;
                    _ = _pending.AddFirst(c);
                }
                else
                {
                    failed.Add(c);
                }
            }

            bool needed = breakWith is null && (_state == StateOpen || (_state == StateClosed && (_pending.Count > 0 || _inFlight.Count > 0)));
            if (_slots[w.Slot] == w)
            {
                if (needed)
                {
                    StartWorkerLocked(w.Slot);
                }
                else
                {
                    _slots[w.Slot] = null;
                }
            }

            CheckAllExitedLocked();
            WakeDispatcherLocked();
        }

        if (failed.Count > 0)
        {
            Fail(failed, failure is null ? new WorkerCrashedException(pid, exitCode, lost) : new WorkerCrashedException(pid, exitCode, lost, failure));
        }

        if (breakWith is not null)
        {
            Break(breakWith);
        }
    }
}
