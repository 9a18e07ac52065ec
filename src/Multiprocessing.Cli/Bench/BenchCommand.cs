namespace Multiprocessing.Cli.Bench;

/// <summary><c>multiprocessing bench [--json] [--vs-python] [name-prefix…]</c>.</summary>
internal static class BenchCommand
{
    internal static int Run(string[] args)
    {
        _ = args;
        Console.WriteLine("The benchmark harness lands with its issue.");
        return 0;
    }
}
