using System.Diagnostics;

namespace Multiprocessing.Cli.Demo;

/// <summary>
/// <c>multiprocessing demo pool</c>: a process pool counts the primes below 2 000 000 in 400 tasks, with a live
/// progress bar fed by Map's progress reports, then prints which worker processes did the work.
/// </summary>
internal static class PoolDemoCommand
{
    private const int Limit = 2_000_000;
    private const int Tasks = 400;

    internal static int Run(string[] args)
    {
        _ = args;
        Stopwatch clock = Stopwatch.StartNew();
        using ProcessPool pool = new(new ProcessPoolOptions { WorkerCount = WorkerProcess.CpuCount });
        Console.WriteLine($"Started a pool of {pool.WorkerCount} worker processes.");
        ProgressBar bar = new();
        List<(int Count, int Pid)> parts = pool.Map(
            static (int block) => (CountPrimes(block * (Limit / Tasks), (block + 1) * (Limit / Tasks)), Environment.ProcessId),
            Enumerable.Range(0, Tasks),
            chunkSize: 4,
            progress: bar);
        bar.Finish();
        Console.WriteLine($"{parts.Sum(p => p.Count):N0} primes below {Limit:N0} in {clock.Elapsed.TotalSeconds:F2} s.");
        foreach (IGrouping<int, (int Count, int Pid)> g in parts.GroupBy(p => p.Pid).OrderBy(g => g.Key))
        {
            Console.WriteLine($"  worker pid {g.Key}: {g.Count()} tasks");
        }

        pool.Close();
        return pool.Join(TimeSpan.FromSeconds(30)) ? 0 : 1;
    }

    private static int CountPrimes(int from, int to)
    {
        int count = 0;
        for (int n = Math.Max(from, 2); n < to; n++)
        {
            bool prime = true;
            for (int d = 2; (long)d * d <= n; d++)
            {
                if (n % d == 0)
                {
                    prime = false;
                    break;
                }
            }

            count += prime ? 1 : 0;
        }

        return count;
    }

    /// <summary>Draws the bar on the pool's result thread, at most every 50 ms.</summary>
    private sealed class ProgressBar : IProgress<PoolProgress>
    {
        private readonly Stopwatch _sinceDraw = Stopwatch.StartNew();

        private PoolProgress _last;

        public void Report(PoolProgress value)
        {
            _last = value;
            if (_sinceDraw.ElapsedMilliseconds >= 50 || value.Completed == value.Total)
            {
                _sinceDraw.Restart();
                Draw(value);
            }
        }

        internal void Finish()
        {
            Draw(_last);
            Console.WriteLine();
        }

        private static void Draw(PoolProgress p)
        {
            const int Width = 40;
            int filled = (int)(p.Fraction * Width);
            Console.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {p.Completed}/{p.Total} tasks ({p.Fraction:P0})");
        }
    }
}
