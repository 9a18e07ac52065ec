namespace Multiprocessing.Tests.Synchronization;

/// <summary>Joins worker processes with a timeout and checks that they succeeded, so a hang fails fast.</summary>
internal static class Workers
{
    internal static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(60);

    internal static void JoinOk(params WorkerProcess[] workers)
    {
        foreach (WorkerProcess w in workers)
        {
            if (!w.Join(JoinTimeout))
            {
                w.Kill();
                _ = w.Join(JoinTimeout);
                Assert.Fail($"worker {w.Pid} did not finish within {JoinTimeout.TotalSeconds} s (deadlock?); it was killed");
            }

            Assert.True(w.ExitCode == 0, $"worker {w.Pid} exited with {w.ExitCode}: {w.Failure}");
        }
    }

    /// <summary>Kills and reaps whatever is still running (for finally blocks).</summary>
    internal static void KillAll(IEnumerable<WorkerProcess> workers)
    {
        foreach (WorkerProcess w in workers)
        {
            if (w.ExitCode is null)
            {
                w.Kill();
                _ = w.Join(JoinTimeout);
            }

            w.Dispose();
        }
    }
}
