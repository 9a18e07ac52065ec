using BenchmarkDotNet.Running;

namespace Multiprocessing.Benchmarks;

/// <summary>
/// In-process micro-benchmarks (BenchmarkDotNet). Cross-process cases belong to <c>multiprocessing bench</c>.
/// Run: <c>dotnet run -c Release --project benchmarks/Multiprocessing.Benchmarks -- --filter '*'</c>.
/// </summary>
internal static class Program
{
    private static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
