namespace Multiprocessing.Cli.Demo;

/// <summary>
/// The README's first command: Python's consumer example in C#. One consumer worker per CPU reads tasks from a
/// <see cref="JoinableQueue{T}"/>, calls <c>TaskDone</c> for each, stops on a null poison pill and puts its answers
/// on a second queue; the parent joins the task queue and prints the results.
/// </summary>
internal static class DemoCommand
{
    internal static int Run(string[] args)
    {
        _ = args;
        using JoinableQueue<DemoTask?> tasks = JoinableQueue<DemoTask?>.Create();
        using SharedQueue<string> results = SharedQueue<string>.Create();

        // Start consumers.
        int numConsumers = WorkerProcess.CpuCount;
        Console.WriteLine($"Creating {numConsumers} consumers");
        List<Consumer> consumers = [];
        for (int i = 0; i < numConsumers; i++)
        {
            consumers.Add(new Consumer { Name = $"Consumer-{i + 1}", TaskQueue = tasks, ResultQueue = results });
        }

        try
        {
            foreach (Consumer w in consumers)
            {
                w.Start();
            }

            // Enqueue jobs.
            const int numJobs = 10;
            for (int i = 0; i < numJobs; i++)
            {
                tasks.Put(new DemoTask(i, i));
            }

            // Add a poison pill for each consumer.
            for (int i = 0; i < numConsumers; i++)
            {
                tasks.Put(null);
            }

            // Wait for all of the tasks to finish (a consumer that dies makes this throw instead of hanging).
            tasks.Join();

            // Start printing results.
            for (int i = 0; i < numJobs; i++)
            {
                Console.WriteLine($"Result: {results.Get()}");
            }

            foreach (Consumer w in consumers)
            {
                _ = w.Join(TimeSpan.FromMinutes(1));
            }

            return consumers.TrueForAll(w => w.ExitCode == 0) ? 0 : 1;
        }
        finally
        {
            foreach (Consumer w in consumers)
            {
                w.Dispose();
            }

            tasks.Unlink();
            results.Unlink();
        }
    }
}
