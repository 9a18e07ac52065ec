using System.Diagnostics;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// mp_bench.py's case_process_start: start + join of a worker that does nothing, 1 discarded warm-up then the median
/// of 20. <c>process_start</c> starts a fresh worker process each time (CPython's process_start_spawn is the
/// comparable case); <c>process_start_warm</c> hands the target to a worker process started ahead of time
/// (<see cref="WorkerStandby"/>, like CPython's forkserver) with <see cref="WorkerProcess.QuickExit"/> (the worker
/// ends with _exit once its outcome is recorded, as a forked CPython child does), and waits, untimed, for the next
/// standby to be ready between starts.
/// </summary>
internal sealed class ProcessStartCase : IBenchCase
{
    private const int Reps = 20;

    public string Name => "process_start";

    public IReadOnlyList<string> ResultNames { get; } = ["process_start", "process_start_warm"];

    public string? PythonCase => "process_start";

    public IEnumerable<BenchResult> Run()
    {
        yield return Measure("process_start", "fresh worker process (dotnet exec + worker host)", _ => WorkerProcess.Start(Noop));

        using WorkerStandby standby = new();
        yield return Measure("process_start_warm", "warm standby worker (started ahead, like forkserver), QuickExit", _ =>
        {
            WorkerProcess p = new((Action)Noop) { QuickExit = true };
            p.Start(standby);
            return p;
        }, () => standby.WaitUntilReady(TimeSpan.FromMinutes(1)));
    }

    private static BenchResult Measure(string name, string method, Func<int, WorkerProcess> start, Action? between = null)
    {
        int k = 0;
        return StartTimes.Measure(name, Reps, new() { ["method"] = method, ["reps"] = Reps, ["warmup"] = 1, ["target"] = "noop" }, () =>
        {
            between?.Invoke();
            long t0 = Stopwatch.GetTimestamp();
            using WorkerProcess p = start(k++);
            if (!p.Join(TimeSpan.FromMinutes(1)))
            {
                throw new TimeoutException($"{name}: the no-op worker did not exit within a minute.");
            }

            double us = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            if (p.ExitCode != 0)
            {
                throw new InvalidOperationException($"{name}: the no-op worker exited with {p.ExitCode}: {p.Failure}");
            }

            return us;
        });
    }

    private static void Noop()
    {
    }
}
