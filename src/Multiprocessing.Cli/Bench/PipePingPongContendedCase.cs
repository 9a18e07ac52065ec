using System.Diagnostics;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// pipe_pingpong while one busy loop per CPU runs at nice 19 (started as <c>nice -n 19 sh -c 'while :; do :; done'</c>),
/// as mp_counterpart.py's pipe_pingpong_contended: adaptive spinning must yield to work, not fight it. Warmed up and timed
/// as pipe_pingpong (<see cref="PipeBench.TimeRoundTrips"/>).
/// </summary>
internal sealed class PipePingPongContendedCase : IBenchCase
{
    public string Name => "pipe_pingpong_contended";

    public IReadOnlyList<string> ResultNames => [Name];

    public string? PythonCase => Name;

    public IEnumerable<BenchResult> Run()
    {
        int cpus = Environment.ProcessorCount;
        List<Process> hogs = [];
        RoundTripTimes result;
        (double, double) floor;
        try
        {
            for (int i = 0; i < cpus; i++)
            {
                hogs.Add(Process.Start(new ProcessStartInfo("nice", ["-n", "19", "sh", "-c", "while :; do :; done"]))!);
            }

            result = PipeBench.PipePingPong();
            floor = HandoffFloor.Measure();
        }
        finally
        {
            foreach (Process h in hogs)
            {
                h.Kill();
                h.WaitForExit();
                h.Dispose();
            }
        }

        yield return PipeBench.Latency(Name, result, new() { ["busy_loops"] = cpus, ["busy_nice"] = 19 }, floor);
    }
}
