namespace Multiprocessing.Cli.Demo;

/// <summary>The README's first command.</summary>
internal static class DemoCommand
{
    internal static int Run(string[] args)
    {
        _ = args;
        Console.WriteLine("The demo lands with worker processes.");
        return 0;
    }
}
