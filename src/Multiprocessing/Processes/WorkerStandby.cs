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
        while (true)
        {
            WorkerStatusBlock? next;
            lock (_ready)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                next = _ready.Count > 0 ? _ready.Peek().Status : null;
            }

            if (next is not null)
            {
                return next.WaitForStandby(deadline);
            }

            // A replacement is still being spawned on another thread.
            if (deadline.HasPassed)
            {
                return false;
            }

            Thread.Yield();
        }
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

        ThreadPool.UnsafeQueueUserWorkItem(static self => self.StartOne(), this, preferLocal: false);
        if (process is null)
        {
            return false;
        }

        status.Go(spec);
        return true;
    }

    private void StartOne()
    {
        Interlocked.Increment(ref _starting);
        try
        {
            lock (_ready)
            {
                if (_disposed || _ready.Count >= _count)
                {
                    return;
                }
            }

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
                    return;
                }
            }

            Discard(process, status);
        }
        finally
        {
            Interlocked.Decrement(ref _starting);
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
        }

        foreach ((Process p, WorkerStatusBlock s) in left)
        {
            Discard(p, s);
        }

        // A replacement being spawned right now sees _disposed and discards itself.
        SpinWait spin = default;
        while (Volatile.Read(ref _starting) > 0)
        {
            spin.SpinOnce();
        }
    }
}
