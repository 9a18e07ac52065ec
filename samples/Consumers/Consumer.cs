using Multiprocessing;

namespace Consumers;

/// <summary>A worker process; its properties travel to the worker (the queues by name).</summary>
internal sealed class Consumer : WorkerProcess
{
    /// <summary>Where tasks come from.</summary>
    public JoinableQueue<MultiplyTask?>? TaskQueue { get; set; }

    /// <summary>Where answers go.</summary>
    public SharedQueue<string>? ResultQueue { get; set; }

    protected override void Run()
    {
        while (true)
        {
            MultiplyTask? nextTask = TaskQueue!.Get();
            if (nextTask is null)
            {
                // Poison pill means shutdown.
                Console.WriteLine($"{Name}: Exiting");
                TaskQueue.TaskDone();
                break;
            }

            Console.WriteLine($"{Name}: {nextTask}");
            string answer = nextTask.Call();
            TaskQueue.TaskDone();
            ResultQueue!.Put(answer);
        }
    }
}
