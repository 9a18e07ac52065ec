namespace Multiprocessing.Cli.Bench;

/// <summary>mp_bench.py's pipe_pingpong: 50 000 timed round trips of an int over a duplex pipe to an echo worker.</summary>
internal sealed class PipePingPongCase : IBenchCase
{
    public string Name => "pipe_pingpong";

    public IReadOnlyList<string> ResultNames => [Name];

    public string? PythonCase => Name;

    public IEnumerable<BenchResult> Run()
    {
        (double seconds, long[] rtt) = PipeBench.PipePingPong();
        yield return PipeBench.Latency(Name, seconds, rtt, []);
    }
}
