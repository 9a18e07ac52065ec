using System.Diagnostics;

namespace Multiprocessing.Internal;

/// <summary>An absolute point on the monotonic clock (Stopwatch, which is CLOCK_MONOTONIC on Linux), or never.</summary>
internal readonly struct Deadline
{
    private readonly long _ticks;

    private Deadline(long ticks) => _ticks = ticks;

    internal static Deadline Infinite => new(long.MaxValue);

    internal bool IsInfinite => _ticks == long.MaxValue;

    internal long Ticks => _ticks;

    /// <summary>From a timeout: <see cref="Timeout.InfiniteTimeSpan"/> means never; negative others are rejected.</summary>
    internal static Deadline After(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return Infinite;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero, nameof(timeout));
        long delta = (long)(timeout.Ticks * (Stopwatch.Frequency / (double)TimeSpan.TicksPerSecond));
        long now = Stopwatch.GetTimestamp();
        return new Deadline(delta >= long.MaxValue - now ? long.MaxValue : now + delta);
    }

    internal bool HasPassed => !IsInfinite && Stopwatch.GetTimestamp() >= _ticks;

    /// <summary>Nanoseconds left, at least 0; -1 if infinite.</summary>
    internal long RemainingNanoseconds
    {
        get
        {
            if (IsInfinite)
            {
                return -1;
            }

            long left = _ticks - Stopwatch.GetTimestamp();
            return left <= 0 ? 0 : (long)(left * (1e9 / Stopwatch.Frequency));
        }
    }

    /// <summary>The deadline as absolute CLOCK_MONOTONIC nanoseconds.</summary>
    internal long AbsoluteNanoseconds => IsInfinite ? long.MaxValue : (long)(_ticks * (1e9 / Stopwatch.Frequency));
}
