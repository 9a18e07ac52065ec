namespace Multiprocessing.Cli.Bench;

/// <summary>
/// mp_bench.py's pipe_pingpong: 50 000 timed round trips of an int over a duplex pipe to an echo worker, after mp_bench.py's
/// 2 000 warm-up round trips and, as in the other value cases, a JIT warm-up of at least 300 ms on the same pipe; the
/// 50 000 round trips timed before that warm-up are reported as cold_median_us and cold_p99_us (see
/// <see cref="PipeBench.TimeRoundTrips"/>). CPython's counterpart times its pass after the 2 000, as mp_bench.py does.
/// </summary>
internal sealed class PipePingPongCase : IBenchCase
{
    public string Name => "pipe_pingpong";

    public IReadOnlyList<string> ResultNames => [Name];

    public string? PythonCase => Name;

    public IEnumerable<BenchResult> Run()
    {
        RoundTripTimes times = PipeBench.PipePingPong();
        (double, double) floor = HandoffFloor.Measure();
        yield return PipeBench.Latency(Name, times, [], floor);
    }
}
