using System.Diagnostics;
using Multiprocessing.Cli.Bench;
using Multiprocessing.Tests.InteropLayout;

namespace Multiprocessing.Tests.Bench;

/// <summary>The CPython counterpart exists and offers every case our benchmark cases point to.</summary>
public sealed class CounterpartScriptTests
{
    [FactRequiringProgram("python3")]
    public void Every_python_case_named_by_a_benchmark_case_exists_in_mp_counterpart()
    {
        string? script = PythonCounterpart.FindScript();
        Assert.True(script is not null, "benchmarks/python/mp_counterpart.py was not found from the test's directory.");
        var info = new ProcessStartInfo(FactRequiringProgramAttribute.Find("python3")!) { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add("--list");
        using Process p = Process.Start(info)!;
        string output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), "mp_counterpart.py --list did not finish within 30 s.");
        Assert.Equal(0, p.ExitCode);

        HashSet<string> known = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        Assert.Contains("queue_small", known);
        Assert.Contains("event_pingpong", known);
        Assert.All(
            BenchCatalog.Discover().Where(c => c.PythonCase is not null),
            c => Assert.True(known.Contains(c.PythonCase!), $"{c.Name} names CPython case '{c.PythonCase}', which mp_counterpart.py does not have."));
    }
}
