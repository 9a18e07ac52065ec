namespace Multiprocessing.Processes;

/// <summary>
/// The workers this process started and has not seen exit, for <see cref="WorkerProcess.ActiveChildren"/> and for
/// terminating daemon workers when this process exits normally (as Python does).
/// </summary>
internal static class WorkerRegistry
{
    private static readonly HashSet<WorkerProcess> s_live = [];
    private static bool s_hooked;

    internal static void Add(WorkerProcess worker)
    {
        lock (s_live)
        {
            s_live.Add(worker);
            if (!s_hooked)
            {
                s_hooked = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => TerminateDaemons();
            }
        }
    }

    internal static void Remove(WorkerProcess worker)
    {
        lock (s_live)
        {
            s_live.Remove(worker);
        }
    }

    internal static IReadOnlyList<WorkerProcess> Live()
    {
        WorkerProcess[] all;
        lock (s_live)
        {
            all = [.. s_live];
        }

        // Reading IsAlive reaps the ones that exited (they remove themselves), as Python's active_children() does.
        return [.. all.Where(w => w.IsAlive)];
    }

    /// <summary>On normal exit: SIGTERM to every live daemon worker, a short wait, then SIGKILL to any left.</summary>
    private static void TerminateDaemons()
    {
        WorkerProcess[] daemons;
        lock (s_live)
        {
            daemons = [.. s_live.Where(w => w.Daemon)];
        }

        foreach (WorkerProcess w in daemons)
        {
            w.Terminate();
        }

        DateTime until = DateTime.UtcNow.AddSeconds(1);
        foreach (WorkerProcess w in daemons)
        {
            TimeSpan left = until - DateTime.UtcNow;
            if (!w.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero))
            {
                w.Kill();
            }
        }
    }
}
