namespace Multiprocessing.Pipes;

/// <summary>
/// The spin phase of a pipe end before it sleeps on the futex, tuned for hand-offs rather than lock hold times.
/// With several CPUs: first a few dozen plain re-checks (a reply that is already on its way lands within a few hundred
/// nanoseconds, and each pause costs about 100 ns on this hardware), then single pauses for a budget of ~25 µs, then
/// sleep. No <c>sched_yield</c> there: with low-priority busy loops on every CPU, a yield hands the CPU to a busy loop
/// for its whole time slice, whereas a futex wake-up preempts it at once. With one usable CPU (for example under
/// <c>taskset -c 0</c>), or when the peer last waited on this very CPU (the scheduler put both on one CPU, as it
/// does when busy loops leave no CPU idle), spinning only delays the peer that must run here: yield a few times, then sleep.
/// </summary>
internal struct PipeSpinner
{
    internal const int TightRounds = 64;
    internal const int PauseRounds = 256;
    internal const int YieldRounds = 8;

    private static readonly bool s_multiCore = Environment.ProcessorCount > 1;

    private readonly bool _yield;
    private int _count;

    /// <summary>A spinner that yields rather than spins when <paramref name="sharesCpuWithPeer"/> (or on one CPU).</summary>
    internal PipeSpinner(bool sharesCpuWithPeer) => _yield = sharesCpuWithPeer || !s_multiCore;

    /// <summary>Spins or yields once; false when the budget is spent and the caller should sleep.</summary>
    internal bool SpinOnce()
    {
        int n = _count++;
        if (!_yield)
        {
            if (n < TightRounds)
            {
                return true;
            }

            if (n < TightRounds + PauseRounds)
            {
                Thread.SpinWait(1);
                return true;
            }

            return false;
        }

        if (n < YieldRounds)
        {
            _ = Thread.Yield();
            return true;
        }

        return false;
    }
}
