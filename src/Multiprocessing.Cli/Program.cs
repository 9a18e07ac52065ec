using Multiprocessing.Cli.Bench;
using Multiprocessing.Cli.Demo;

namespace Multiprocessing.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        string command = args.Length > 0 ? args[0] : "help";
        switch (command)
        {
            case "demo" when args.Length > 1 && args[1] == "pool":
                return PoolDemoCommand.Run(args[2..]);
            case "demo":
                return DemoCommand.Run(args[1..]);
            case "bench":
                return BenchCommand.Run(args[1..]);
            default:
                Console.WriteLine("usage: multiprocessing demo [pool] | bench [--json] [--vs-python] [name-prefix…]");
                return command is "help" or "--help" or "-h" ? 0 : 2;
        }
    }
}
