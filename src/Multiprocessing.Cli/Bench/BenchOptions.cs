namespace Multiprocessing.Cli.Bench;

/// <summary>The parsed command line of <c>multiprocessing bench</c>.</summary>
internal sealed class BenchOptions
{
    /// <summary>The usage line.</summary>
    internal const string Usage =
        "usage: multiprocessing bench [--json] [--vs-python] [--wait-quiet] [--list] [name-prefix…]";

    /// <summary>One JSON object per line instead of a table.</summary>
    public bool Json { get; private init; }

    /// <summary>Also run the CPython counterpart (benchmarks/python/mp_counterpart.py) and print ratios.</summary>
    public bool VsPython { get; private init; }

    /// <summary>First wait (up to 5 minutes) until the CPUs are idle, as mp_bench.py --wait-quiet.</summary>
    public bool WaitQuiet { get; private init; }

    /// <summary>Print the case names and their result names, run nothing.</summary>
    public bool List { get; private init; }

    /// <summary>Name prefixes; empty selects every case.</summary>
    public IReadOnlyList<string> Prefixes { get; private init; } = [];

    /// <summary>Parses <paramref name="args"/>; null with <paramref name="error"/> set on an unknown option.</summary>
    internal static BenchOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        ArgumentNullException.ThrowIfNull(args);
        error = null;
        bool json = false, vs = false, quiet = false, list = false;
        var prefixes = new List<string>();
        foreach (string a in args)
        {
            switch (a)
            {
                case "--json": json = true; break;
                case "--vs-python": vs = true; break;
                case "--wait-quiet": quiet = true; break;
                case "--list": list = true; break;
                default:
                    if (a.StartsWith('-'))
                    {
                        error = $"bench: unknown option '{a}'. {Usage}";
                        return null;
                    }

                    prefixes.Add(a);
                    break;
            }
        }

        return new BenchOptions { Json = json, VsPython = vs, WaitQuiet = quiet, List = list, Prefixes = prefixes };
    }
}
