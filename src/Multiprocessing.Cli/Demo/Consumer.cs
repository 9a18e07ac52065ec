namespace Multiprocessing.Cli.Demo;

/// <summary>The seed's <c>class Consumer(multiprocessing.Process)</c>: its fields travel to the worker.</summary>
internal sealed class Consumer : WorkerProcess
{
    /// <summary>Where the tasks come from.</summary>
    public JoinableQueue<DemoTask?>? TaskQueue { get; set; }

    /// <summary>Where the answers go.</summary>
    public SharedQueue<string>? ResultQueue { get; set; }

    protected override void Run()
    {
        string procName = Name;
        while (true)
        {
            DemoTask? nextTask = TaskQueue!.Get();
            if (nextTask is null)
            {
                // Poison pill means shutdown.
                Console.WriteLine($"{procName}: Exiting");
                TaskQueue.TaskDone();
                break;
            }

            Console.WriteLine($"{procName}: {nextTask}");
            string answer = nextTask.Call();
            TaskQueue.TaskDone();
            ResultQueue!.Put(answer);
        }
    }
}
