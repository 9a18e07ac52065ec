using System.Diagnostics;
using Multiprocessing.Internal;
using Multiprocessing.Processes;

namespace Multiprocessing;

/// <summary>
/// Worker processes started ahead of time, so that <see cref="WorkerProcess.Start(WorkerStandby)"/> hands the target
/// to a process whose runtime is already up (CPython's forkserver plays this role). Each start takes one standby
/// and starts a replacement in the background. Standby processes die with this process, and
/// <see cref="Dispose"/> kills the ones not taken.
/// </summary>
public sealed class WorkerStandby : IDisposable
{
    private const int SpecCapacity = 256 * 1024;

    private readonly Queue<(Process Process, WorkerStatusBlock Status)> _ready = new();
    private readonly int _count;
    private int _starting;
    private Exception? _lastStartError;
    private bool _disposed;

    /// <summary>Starts <paramref name="count"/> standby processes. The default is one.</summary>
    public WorkerStandby(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        Platform.ThrowIfUnsupported();
        _count = count;
        for (int i = 0; i < count; i++)
        {
            StartOne();
        }
    }

    /// <summary>The pids of the standby processes waiting now (for tests).</summary>
    internal int[] Pids
    {
        get
        {
            lock (_ready)
            {
                return [.. _ready.Select(r => r.Process.Id)];
            }
        }
    }

    /// <summary>How many standby processes it keeps.</summary>
    public int Count => _count;

    /// <summary>Waits until the next standby process has started its runtime and waits for work.</summary>
    /// <returns>False if none became ready within <paramref name="timeout"/>.</returns>
    public bool WaitUntilReady(TimeSpan timeout)
    {
        Deadline deadline = Deadline.After(timeout);
        WorkerStatusBlock next;
        lock (_ready)
        {
            // A replacement may still be being spawned on another thread: it pulses when it is queued.
            while (true)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_ready.Count > 0)
                {
                    next = _ready.Peek().Status;
                    break;
                }

                if (_lastStartError is { } error)
                {
                    throw new InvalidOperationException($"A standby worker could not be started: {error.Message}", error);
                }

                long ns = deadline.RemainingNanoseconds;
                if (ns == 0 || !Monitor.Wait(_ready, ns < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(Math.Max(1, ns / 100))))
                {
                    return false;
                }
            }
        }

        return next.WaitForStandby(deadline);
    }

    /// <summary>Takes a live standby process, or returns false if none is available (the caller then starts a fresh one).</summary>
    internal bool TryTake(byte[] spec, out Process process, out WorkerStatusBlock status)
    {
        process = null!;
        status = null!;
        if (spec.Length > SpecCapacity)
        {
            return false;
        }

        lock (_ready)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            while (_ready.Count > 0)
            {
                (Process p, WorkerStatusBlock s) = _ready.Dequeue();
                if (!p.HasExited)
                {
                    process = p;
                    status = s;
                    break;
                }

                Discard(p, s);
            }
        }

        ThreadPool.UnsafeQueueUserWorkItem(static self => self.StartOneInBackground(), this, preferLocal: false);
        if (process is null)
        {
            return false;
        }

        status.Go(spec);
        return true;
    }

    private void StartOneInBackground()
    {
        try
        {
            StartOne();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception or UnauthorizedAccessException)
        {
            // Never let a failed replacement crash the process from a thread-pool thread; the next WaitUntilReady
            // reports it, and the next Start falls back to a fresh process.
            lock (_ready)
            {
                _lastStartError = e;
                Monitor.PulseAll(_ready);
            }
        }
    }

    private void StartOne()
    {
        lock (_ready)
        {
            // Replacements being spawned count too, so that concurrent refills never overshoot Count.
            if (_disposed || _ready.Count + _starting >= _count)
            {
                return;
            }

            _starting++;
        }

        try
        {
            WorkerStatusBlock status = WorkerStatusBlock.CreateStandby(SpecCapacity);
            Process process;
            try
            {
                process = Process.Start(WorkerLauncher.CreateStartInfo(status.Name))
                    ?? throw new InvalidOperationException("A standby worker could not be started.");
            }
            catch
            {
                status.Unlink();
                status.Dispose();
                throw;
            }

            lock (_ready)
            {
                if (!_disposed)
                {
                    _ready.Enqueue((process, status));
                    _lastStartError = null;
                    Monitor.PulseAll(_ready);
                    return;
                }
            }

            Discard(process, status);
        }
        finally
        {
            lock (_ready)
            {
                _starting--;
                Monitor.PulseAll(_ready);
            }
        }
    }

    private static void Discard(Process process, WorkerStatusBlock status)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            _ = process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
        status.Unlink();
        status.Dispose();
    }

    /// <summary>Kills the standby processes that were not taken and removes their status blocks.</summary>
    public void Dispose()
    {
        (Process, WorkerStatusBlock)[] left;
        lock (_ready)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            left = [.. _ready];
            _ready.Clear();
            Monitor.PulseAll(_ready);
        }

        foreach ((Process p, WorkerStatusBlock s) in left)
        {
            Discard(p, s);
        }

        // A replacement being spawned right now sees _disposed and discards itself; wait for that (it pulses).
        lock (_ready)
        {
            while (_starting > 0)
            {
                _ = Monitor.Wait(_ready);
            }
        }
    }
}
