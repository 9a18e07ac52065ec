using System.Text.Json.Nodes;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// <c>multiprocessing bench [--json] [--vs-python] [--wait-quiet] [--list] [name-prefix…]</c>: runs the
/// <see cref="IBenchCase"/> classes, prints one line per result (JSON with mp_bench.py's fields, or a table), and with
/// --vs-python runs the CPython counterpart of each case right after it and prints the ratios.
/// </summary>
internal static class BenchCommand
{
    // A case that yields nothing for this long is reported and the run ends: a hung benchmark must not hang forever.
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromMinutes(15);

    internal static int Run(string[] args)
    {
        BenchOptions? options = BenchOptions.Parse(args, out string? error);
        if (options is null)
        {
            Console.Error.WriteLine(error);
            return 2;
        }

        List<IBenchCase> cases = BenchCatalog.Discover();
        if (options.List)
        {
            foreach (IBenchCase c in cases)
            {
                Console.WriteLine($"{c.Name}: {string.Join(", ", c.ResultNames)}" +
                                  (c.PythonCase is null ? "" : $"  [CPython: {c.PythonCase}]"));
            }

            return 0;
        }

        var selected = BenchCatalog.Select(cases, options.Prefixes, out List<string> unmatched);
        if (unmatched.Count > 0)
        {
            Console.Error.WriteLine($"bench: no case matches {string.Join(", ", unmatched.Select(u => $"'{u}'"))}. " +
                                    $"Cases: {string.Join(", ", cases.Select(c => c.Name))}.");
            return 2;
        }

        if (options.WaitQuiet)
        {
            CpuSample.WaitQuiet(TimeSpan.FromMinutes(5));
        }
        else
        {
            CpuSample.SettleForeign(TimeSpan.FromSeconds(5));
        }

        if (!options.Json)
        {
            Console.WriteLine(BenchTable.Header);
        }

        int failed = 0;
        var comparisons = new List<BenchComparison>();
        var unpaired = new List<BenchFigures>();
        var pythonResults = new Dictionary<string, List<BenchFigures>>(StringComparer.Ordinal);
        foreach ((IBenchCase benchCase, Func<string, bool> prints) in selected)
        {
            List<BenchFigures> ours = RunOurs(benchCase, prints, options.Json, ref failed);
            if (!options.VsPython || ours.Count == 0)
            {
                continue;
            }

            if (benchCase.PythonCase is not string pythonCase)
            {
                unpaired.AddRange(ours);
                continue;
            }

            if (!pythonResults.TryGetValue(pythonCase, out List<BenchFigures>? python))
            {
                python = RunPython(pythonCase, options.Json);
                pythonResults[pythonCase] = python;
            }

            List<BenchComparison> pairs = BenchComparison.Pair(ours, python);
            comparisons.AddRange(pairs);
            unpaired.AddRange(ours.Where(o => !pairs.Any(p => ReferenceEquals(p.Ours, o))));
            if (options.Json)
            {
                pairs.ForEach(p => Console.WriteLine(BenchJson.Format(p)));
            }
        }

        if (options.VsPython && !options.Json)
        {
            Console.WriteLine();
            Console.WriteLine("Ours vs CPython (mp_counterpart.py), one run each, back to back, on this machine:");
            Console.WriteLine(BenchTable.ComparisonHeader);
            comparisons.ForEach(c => Console.WriteLine(BenchTable.Row(c)));
            unpaired.ForEach(o => Console.WriteLine(BenchTable.Unpaired(o)));
            Console.WriteLine("Rate cases: ours/CPython throughput. Latency cases: CPython/ours median and p99. " +
                              "A single run on a shared machine: see foreign s (CPU other processes used meanwhile).");
        }

        return failed > 0 ? 1 : 0;
    }

    /// <summary>Runs one case; prints each result as it comes; returns the figures of the results it printed.</summary>
    private static List<BenchFigures> RunOurs(IBenchCase benchCase, Func<string, bool> prints, bool json, ref int failed)
    {
        var figures = new List<BenchFigures>();
        using var watchdog = new Timer(_ => GiveUp(benchCase.Name, json), null, CaseTimeout, Timeout.InfiniteTimeSpan);
        CpuSample? mark = CpuSample.Take();
        try
        {
            foreach (BenchResult result in benchCase.Run())
            {
                CpuSample? now = CpuSample.Take();
                double? foreign = mark is CpuSample a && now is CpuSample b ? CpuSample.Foreign(a, b) : null;
                if (prints(result.Name))
                {
                    Console.WriteLine(json ? BenchJson.Format(result, foreign) : BenchTable.Row(result, foreign));
                    figures.Add(BenchFigures.From(result));
                }

                watchdog.Change(CaseTimeout, Timeout.InfiniteTimeSpan);
                mark = CpuSample.Take();
            }
        }
#pragma warning disable CA1031 // a failing case is reported and the suite goes on, as in mp_bench.py
        catch (Exception e)
#pragma warning restore CA1031
        {
            failed++;
            Console.WriteLine(json ? BenchJson.FormatError(benchCase.Name, e) : $"{benchCase.Name}: error: {e.GetType().Name}: {e.Message}");
        }

        return figures;
    }

    /// <summary>Runs the CPython counterpart; prints its lines (JSON with "impl": "cpython", or table rows).</summary>
    private static List<BenchFigures> RunPython(string pythonCase, bool json)
    {
        var figures = new List<BenchFigures>();
        PythonCounterpart.Run(pythonCase, line =>
        {
            BenchFigures? f = BenchFigures.From(line);
            if (json)
            {
                Console.WriteLine(BenchJson.FormatForeign(line, "cpython"));
            }
            else if (f is null)
            {
                Console.WriteLine($"{line["name"]} (CPython): error: {line["error"]}");
            }
            else
            {
                Console.WriteLine(BenchTable.Row(f.Name + " (CPython)", Long(line, "messages") ?? Long(line, "ops"),
                    Double(line, "seconds"), f, Double(line, "mb_per_s"), Double(line, "foreign_cpu_s")));
            }

            if (f is not null)
            {
                figures.Add(f);
            }
        });
        return figures;
    }

    private static void GiveUp(string name, bool json)
    {
        string message = $"TimeoutException: no result within {CaseTimeout.TotalMinutes:0} minutes; the run stops here.";
        Console.WriteLine(json ? BenchJson.FormatError(name, message) : $"{name}: error: {message}");
        Environment.Exit(3);
    }

    private static double? Double(JsonObject line, string key) =>
        line[key] is JsonValue v && v.TryGetValue(out double d) ? d : null;

    private static long? Long(JsonObject line, string key) =>
        line[key] is JsonValue v && v.TryGetValue(out long n) ? n : null;
}
