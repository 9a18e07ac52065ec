using System.Buffers.Binary;
using System.Globalization;

namespace Multiprocessing.Cli.Demo;

/// <summary>
/// The README's first command: one worker per CPU, each prints its name and pid and writes a result into a shared
/// block; the parent joins them and prints the results.
/// </summary>
internal static class DemoCommand
{
    private const long Numbers = 1_000_000;

    internal static int Run(string[] args)
    {
        _ = args;
        int n = WorkerProcess.CpuCount;
        Console.WriteLine($"{WorkerProcess.Current.Name} (pid {Environment.ProcessId}) starts {n} worker(s), one per CPU.");
        using SharedMemoryBlock results = SharedMemoryBlock.Create(n * sizeof(long));
        List<WorkerProcess> workers = [];
        try
        {
            for (int i = 0; i < n; i++)
            {
                long from = Numbers * i / n;
                long to = Numbers * (i + 1) / n;
                workers.Add(WorkerProcess.Start(static (block, slot, from, to) => SumOfSquares(block, slot, from, to), results, i, from, to));
            }

            foreach (WorkerProcess w in workers)
            {
                if (!w.Join(TimeSpan.FromMinutes(2)))
                {
                    Console.Error.WriteLine($"{w.Name} did not finish within 2 minutes.");
                    return 1;
                }
            }

            long total = 0;
            for (int i = 0; i < n; i++)
            {
                WorkerProcess w = workers[i];
                long part = BinaryPrimitives.ReadInt64LittleEndian(results.Span[(i * sizeof(long))..]);
                total += part;
                string outcome = w.ExitCode == 0 ? part.ToString("N0", CultureInfo.InvariantCulture) : $"failed with exit code {w.ExitCode}: {w.Failure?.Message}";
                Console.WriteLine($"result from {w.Name} (pid {w.Pid}): {outcome}");
            }

            Console.WriteLine($"sum of the squares of 0..{Numbers - 1:N0}: {total:N0} (expected {(Numbers - 1) * Numbers * ((2 * Numbers) - 1) / 6:N0})");
            return workers.TrueForAll(w => w.ExitCode == 0) ? 0 : 1;
        }
        finally
        {
            foreach (WorkerProcess w in workers)
            {
                w.Dispose();
            }

            results.Unlink();
        }
    }

    private static void SumOfSquares(SharedMemoryBlock block, int slot, long from, long to)
    {
        WorkerProcess me = WorkerProcess.Current;
        Console.WriteLine($"{me.Name} (pid {me.Pid}, parent {WorkerProcess.Parent?.Pid}) sums squares of {from:N0}..{to - 1:N0}");
        long sum = 0;
        for (long x = from; x < to; x++)
        {
            sum += x * x;
        }

        BinaryPrimitives.WriteInt64LittleEndian(block.Span[(slot * sizeof(long))..], sum);
    }
}
