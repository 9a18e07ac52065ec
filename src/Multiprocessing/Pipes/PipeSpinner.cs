using System.Runtime.CompilerServices;

namespace Multiprocessing.Pipes;

/// <summary>
/// The spin phase of a pipe end before it sleeps on the futex, tuned for hand-offs rather than lock hold times.
/// With several CPUs: first a few dozen plain re-checks (a reply that is already on its way lands within a few hundred
/// nanoseconds, and each pause costs about 100 ns on this hardware), then single pauses for a budget of ~25 µs, then
/// sleep. No <c>sched_yield</c> there: with low-priority busy loops on every CPU, a yield hands the CPU to a busy loop
/// for its whole time slice, whereas a futex wake-up preempts it at once. With one usable CPU (for example under
/// <c>taskset -c 0</c>), or when the peer last waited on this very CPU (the scheduler put both on one CPU, as it
/// does when busy loops leave no CPU idle), spinning only delays the peer that must run here: yield a few times, then sleep.
/// Yielding keeps both processes on that CPU even when another one turns idle (the scheduler does not move a task
/// that ran a moment ago), so one co-located wait in 32 sleeps at once instead: its wake-up then lands on an idle CPU
/// if there is one, and the two ends go back to spinning on two CPUs.
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

    /// <summary>A spinner whose budget is already spent: the caller sleeps at once.</summary>
    internal static PipeSpinner SleepAtOnce => new(false) { _count = int.MaxValue / 2 };

    /// <summary>Spins or yields once; false when the budget is spent and the caller should sleep.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool SpinOnce()
    {
        int n = _count++;
        if (n >= int.MaxValue / 2)
        {
            return false;
        }

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
