namespace Multiprocessing;

/// <summary>
/// A pool worker process died (killed, crashed, or exited) while it held these tasks. Only the tasks it held fail;
/// the pool starts a replacement worker and keeps running the rest.
/// </summary>
public sealed class WorkerCrashedException : InvalidOperationException
{
    /// <summary>Creates an empty instance.</summary>
    public WorkerCrashedException()
    {
    }

    /// <summary>Creates an instance with a message only.</summary>
    public WorkerCrashedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an instance with a message and an inner exception.</summary>
    public WorkerCrashedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a worker that died holding <paramref name="tasks"/> tasks.</summary>
    public WorkerCrashedException(int workerPid, int? exitCode, int tasks)
        : base($"Pool worker pid {workerPid} {Describe(exitCode)} while it held {tasks} task{(tasks == 1 ? "" : "s")}; those tasks did not run to completion. The pool started a replacement worker: resubmit them, or set ProcessPoolOptions.CrashRetries to retry them automatically.")
    {
        WorkerPid = workerPid;
        ExitCode = exitCode;
        Tasks = tasks;
    }

    /// <summary>The same, when the worker died of an exception of its own (for example in the pool's machinery), given as the inner exception.</summary>
    public WorkerCrashedException(int workerPid, int? exitCode, int tasks, Exception innerException)
        : base(new WorkerCrashedException(workerPid, exitCode, tasks).Message, innerException)
    {
        WorkerPid = workerPid;
        ExitCode = exitCode;
        Tasks = tasks;
    }

    /// <summary>The process id of the worker that died.</summary>
    public int WorkerPid { get; }

    /// <summary>Its exit code: negative for a signal (-9 for SIGKILL), as in Python; null if unknown.</summary>
    public int? ExitCode { get; }

    /// <summary>How many tasks it held.</summary>
    public int Tasks { get; }

    private static string Describe(int? exitCode) => exitCode switch
    {
        null => "died",
        < 0 => $"was killed by signal {-exitCode} (exit code {exitCode})",
        _ => $"exited with code {exitCode}",
    };
}
