using Multiprocessing.Cli.Bench;

namespace Multiprocessing.Tests.Bench;

/// <summary>A benchmark case that runs nothing, for the selection tests.</summary>
internal sealed class FakeCase(string name, params string[] resultNames) : IBenchCase
{
    public string Name => name;

    public IReadOnlyList<string> ResultNames => resultNames.Length == 0 ? [name] : resultNames;

    public string? PythonCase => name;

    public IEnumerable<BenchResult> Run() => [];
}
