using System.Globalization;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// Machine-wide busy CPU seconds and the CPU seconds of this process tree, as mp_bench.py's <c>cpu_sample</c>:
/// their difference over an interval is CPU burnt by other processes (the flock serialises benchmarks, not
/// someone's compiler). Read from /proc; Linux only.
/// </summary>
/// <param name="MachineBusyS">user + nice + system + irq + softirq of all CPUs, in seconds.</param>
/// <param name="OwnS">This process (with its reaped children) plus its live descendants, in seconds.</param>
internal readonly record struct CpuSample(double MachineBusyS, double OwnS)
{
    // /proc reports clock ticks in USER_HZ, which Linux fixes at 100 on every architecture it exposes to user space.
    private const double TicksPerSecond = 100;

    /// <summary>A foreign CPU figure above this (seconds) marks a disturbed measurement, as in mp_bench.py.</summary>
    internal const double Disturbed = 0.05;

    /// <summary>CPU seconds other processes used between <paramref name="start"/> and <paramref name="end"/>, never negative.</summary>
    internal static double Foreign(CpuSample start, CpuSample end) =>
        Math.Max(0, (end.MachineBusyS - start.MachineBusyS) - (end.OwnS - start.OwnS));

    /// <summary>Samples now; null when /proc cannot be read.</summary>
    internal static CpuSample? Take()
    {
        try
        {
            string first = File.ReadLines("/proc/stat").First();
            double[] cpu = first.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..8]
                .Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            // user nice system idle iowait irq softirq
            double busy = (cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6]) / TicksPerSecond;
            return new CpuSample(busy, OwnTicks() / TicksPerSecond);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Waits (up to <paramref name="limit"/>) until the machine used less than <see cref="Disturbed"/> CPU-s in one second.</summary>
    internal static void WaitQuiet(TimeSpan limit) =>
        WaitUntil(limit, TimeSpan.FromSeconds(1), static (a, b) => b.MachineBusyS - a.MachineBusyS, "wait_quiet: still busy");

    /// <summary>
    /// Waits (up to <paramref name="limit"/>) until other processes used less than <see cref="Disturbed"/> CPU-s over half a
    /// second. Every run does this before its first case: right after <c>dotnet run</c> has built the tool, the
    /// <c>dotnet run</c> process keeps a CPU busy for about a second (measured: foreign_cpu_s 1.18–1.19 in the first case of
    /// two such runs, 0.08 with <c>--no-build</c>), and a first case timed then is disturbed (pipe_pingpong's ends were put
    /// on one CPU for 40 103 of 50 000 waits in one of those runs).
    /// </summary>
    internal static void SettleForeign(TimeSpan limit) =>
        WaitUntil(limit, TimeSpan.FromMilliseconds(500), Foreign, "bench: other processes still busy");

    /// <summary>Samples over <paramref name="window"/> until <paramref name="busy"/> is under <see cref="Disturbed"/>, for at most <paramref name="limit"/>.</summary>
    private static void WaitUntil(TimeSpan limit, TimeSpan window, Func<CpuSample, CpuSample, double> busy, string giveUp)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            CpuSample? a = Take();
            Thread.Sleep(window);
            CpuSample? b = Take();
            if (a is null || b is null || busy(a.Value, b.Value) < Disturbed)
            {
                return;
            }
        }

        Console.Error.WriteLine($"{giveUp} after {limit.TotalSeconds:0}s, running anyway");
    }

    /// <summary>utime+stime+cutime+cstime of this process and of every live descendant.</summary>
    private static double OwnTicks()
    {
        int me = Environment.ProcessId;
        var parents = new Dictionary<int, int>();
        var ticks = new Dictionary<int, double>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            string[]? fields = ReadStat(dir);
            if (fields is null || fields.Length < 15)
            {
                continue;
            }

            // After "pid (comm)": [0] state, [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime.
            parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
            ticks[pid] = fields[11..15].Sum(f => double.Parse(f, CultureInfo.InvariantCulture));
        }

        double own = 0;
        foreach ((int pid, double t) in ticks)
        {
            if (IsSelfOrDescendant(pid, me, parents))
            {
                own += t;
            }
        }

        return own;
    }

    private static bool IsSelfOrDescendant(int pid, int me, Dictionary<int, int> parents)
    {
        for (int hops = 0; hops < 64 && pid > 1; hops++)
        {
            if (pid == me)
            {
                return true;
            }

            if (!parents.TryGetValue(pid, out pid))
            {
                return false;
            }
        }

        return false;
    }

    private static string[]? ReadStat(string dir)
    {
        try
        {
            string text = File.ReadAllText(Path.Combine(dir, "stat"));
            int close = text.LastIndexOf(')');
            return close < 0 ? null : text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // the process exited meanwhile
        }
    }
}
