using System.Diagnostics;
using System.Globalization;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// Ours: the CPU time a worker uses while blocked in Receive on an idle pipe end for one second (all its threads,
/// from /proc/pid/task/*/schedstat, nanosecond resolution). The spin phase must end in a futex sleep.
/// </summary>
internal sealed class PipeIdleCpuCase : IBenchCase
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(1);

    public string Name => "pipe_idle_cpu";

    public IReadOnlyList<string> ResultNames => [Name];

    public string? PythonCase => null;

    public IEnumerable<BenchResult> Run()
    {
        var (parent, child) = Pipe.Create<int>();
        double cpuSeconds;
        using (parent)
        using (WorkerProcess w = WorkerProcess.Start(static (Connection<int> c) =>
        {
            c.Send(1);
            _ = c.Receive();
        }, child))
        {
            child.Close();
            if (!parent.TryReceive(out _, PipeBench.Patience))
            {
                w.Kill();
                throw new TimeoutException("The idle worker did not get ready within 2 minutes.");
            }

            // Let the worker's start-up work (JIT, tiering) settle into the blocked receive before measuring.
            Thread.Sleep(200);
            long before = CpuNs(w.Pid);
            Thread.Sleep(Idle);
            long after = CpuNs(w.Pid);
            parent.Send(0);
            PipeBench.Reap(w);
            cpuSeconds = (after - before) / 1e9;
        }

        yield return new BenchResult
        {
            Name = Name,
            Params = new() { ["idle_seconds"] = Idle.TotalSeconds, ["what"] = "worker blocked in Receive" },
            CountKey = "ops",
            Count = 1,
            Seconds = Idle.TotalSeconds,
            RateUnit = "idle_s",
            Extra = new() { ["cpu_s"] = Math.Round(cpuSeconds, 6), ["cpu_percent_of_one_core"] = Math.Round(100 * cpuSeconds / Idle.TotalSeconds, 3) },
        };
    }

    private static long CpuNs(int pid)
    {
        long total = 0;
        foreach (string task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            try
            {
                string first = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0];
                total += long.Parse(first, CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // A thread that ended meanwhile.
            }
        }

        return total;
    }
}
