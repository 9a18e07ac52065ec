namespace Multiprocessing.Internal;

/// <summary>
/// The spin phase before a futex sleep. Waking a sleeping process costs ~20 µs here, while a spinning hand-off
/// costs ~0.1 µs, so a waiter first spins; but blind spinning when both processes share one CPU starves the
/// very process it waits for, so the spin backs off: short pause bursts that double, then <c>sched_yield</c>
/// (which lets a co-scheduled peer run), then the caller sleeps on the futex.
/// </summary>
internal struct AdaptiveSpinner
{
    /// <summary>Pause bursts of 1, 2, 4 … 512 iterations (about 10–20 µs in all).</summary>
    internal const int PauseRounds = 10;

    /// <summary>Then this many yields before sleeping.</summary>
    internal const int YieldRounds = 6;

    private int _count;

    /// <summary>Single-CPU machines gain nothing from pausing: yield from the start.</summary>
    private static readonly bool s_multiCore = Environment.ProcessorCount > 1;

    /// <summary>Spins or yields once; false when the budget is spent and the caller should sleep.</summary>
    internal bool SpinOnce()
    {
        int n = _count++;
        if (n < PauseRounds && s_multiCore)
        {
            Thread.SpinWait(1 << n);
            return true;
        }

        if (n < PauseRounds + YieldRounds)
        {
            Thread.Yield();
            return true;
        }

        return false;
    }

    internal void Reset() => _count = 0;
}
