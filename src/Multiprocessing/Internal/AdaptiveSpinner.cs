namespace Multiprocessing.Internal;

/// <summary>
/// The spin phase before a futex sleep. Waking a sleeping process costs ~20 µs here, while a spinning hand-off
/// costs ~0.1 µs, so a waiter first spins; but spinning only pays while the process it waits for is running on
/// another CPU. When it is not (both share one CPU, or the machine is oversubscribed), spinning burns the very
/// time slice the other process needs, and yielding hands the CPU to unrelated processes for a whole slice (measured:
/// event ping-pong p99 in milliseconds on a loaded machine). So the spin is short pause bursts that double, and the
/// number of bursts adapts per thread: a wait that ended while spinning allows one more burst next time, a wait that
/// had to sleep anyway allows two fewer (never fewer than <see cref="MinPauseRounds"/>). Then the caller sleeps on the
/// futex. Callers need not report the outcome: a spin that did not end in <see cref="SpinOnce"/> returning false is
/// counted as a success when the thread's next spin starts.
/// </summary>
internal struct AdaptiveSpinner
{
    /// <summary>Pause bursts of 1, 2, 4 … 512 iterations at most (about 10–20 µs in all).</summary>
    internal const int PauseRounds = 10;

    /// <summary>The fewest bursts a thread falls back to when its spins keep failing (well under a microsecond).</summary>
    internal const int MinPauseRounds = 2;

    /// <summary>Single-CPU machines gain nothing from pausing: yield from the start.</summary>
    private static readonly bool s_multiCore = Environment.ProcessorCount > 1;

    /// <summary>How many bursts this thread may spin, stored as PauseRounds minus the budget so that 0 means "all".</summary>
    [ThreadStatic]
    private static int t_budgetCut;

    /// <summary>This thread's last spin started and has not failed (yet): if the next one starts, it succeeded.</summary>
    [ThreadStatic]
    private static bool t_spinning;

    private int _count;
    private int _limit;

    /// <summary>Spins once; false when the budget is spent and the caller should sleep.</summary>
    internal bool SpinOnce()
    {
        if (_count == 0)
        {
            if (t_spinning && t_budgetCut > 0)
            {
                t_budgetCut--;
            }

            t_spinning = true;
            _limit = s_multiCore ? PauseRounds - t_budgetCut : 0;
        }

        int n = _count++;
        if (n < _limit)
        {
            Thread.SpinWait(1 << n);
            return true;
        }

        if (!s_multiCore && n == 0)
        {
            // No pauses on one CPU (the limit is 0): one yield lets a peer on this CPU run before the caller sleeps.
            Thread.Yield();
            return true;
        }

        // The budget is spent: the caller sleeps, so spinning did not pay this time.
        if (t_spinning)
        {
            t_spinning = false;
            t_budgetCut = Math.Min(t_budgetCut + 2, PauseRounds - MinPauseRounds);
        }

        return false;
    }

    internal void Reset() => _count = 0;
}
