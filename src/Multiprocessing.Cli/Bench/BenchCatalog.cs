using System.Reflection;

namespace Multiprocessing.Cli.Bench;

/// <summary>Finds the <see cref="IBenchCase"/> classes, orders them as mp_bench.py does, and selects by name prefix.</summary>
internal static class BenchCatalog
{
    // mp_bench.py's order, then ours: related cases print next to each other. A case sorts at the first entry its
    // name starts with; unknown cases go last, by name.
    private static readonly string[] Order =
    [
        "queue_small", "queue_bytes", "queue", "joinable_queue", "simple_queue",
        "pipe_pingpong", "pipe_stream", "pipe", "socket",
        "value_lock_incr", "value", "array_bulk", "array", "event_pingpong",
        "process_start", "pool_map", "pool_submit", "pool_start", "pool",
    ];

    /// <summary>One instance of every non-abstract <see cref="IBenchCase"/> class in this assembly, in run order.</summary>
    internal static List<IBenchCase> Discover() =>
        Sort(typeof(IBenchCase).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IBenchCase).IsAssignableFrom(t)
                        && t.GetConstructor(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, Type.EmptyTypes) is not null)
            .Select(t => (IBenchCase)Activator.CreateInstance(t, nonPublic: true)!));

    /// <summary>The cases in run order: mp_bench.py's order first, then the rest by name.</summary>
    internal static List<IBenchCase> Sort(IEnumerable<IBenchCase> cases) =>
        cases.OrderBy(c => Rank(c.Name)).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();

    /// <summary>
    /// The cases that <paramref name="prefixes"/> select (all when there are none), each with the filter that says
    /// which of its results to print: a prefix that matches the case name selects all its results; one that only
    /// matches a result name ("queue_bytes_1m") runs the case and prints that result.
    /// </summary>
    /// <param name="cases">Candidate cases, in run order.</param>
    /// <param name="prefixes">Name prefixes from the command line.</param>
    /// <param name="unmatched">The prefixes that selected nothing.</param>
    internal static List<(IBenchCase Case, Func<string, bool> Prints)> Select(
        IReadOnlyList<IBenchCase> cases, IReadOnlyList<string> prefixes, out List<string> unmatched)
    {
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentNullException.ThrowIfNull(prefixes);
        unmatched = prefixes.Where(p => !cases.Any(c => Matches(c.Name, p) || c.ResultNames.Any(r => Matches(r, p)))).ToList();
        var selected = new List<(IBenchCase, Func<string, bool>)>();
        foreach (IBenchCase c in cases)
        {
            if (prefixes.Count == 0 || prefixes.Any(p => Matches(c.Name, p)))
            {
                selected.Add((c, _ => true));
            }
            else if (c.ResultNames.Any(r => prefixes.Any(p => Matches(r, p))))
            {
                selected.Add((c, r => prefixes.Any(p => Matches(r, p))));
            }
        }

        return selected;
    }

    private static bool Matches(string name, string prefix) => name.StartsWith(prefix, StringComparison.Ordinal);

    private static int Rank(string name)
    {
        int i = Array.FindIndex(Order, o => name.StartsWith(o, StringComparison.Ordinal));
        return i < 0 ? Order.Length : i;
    }
}
