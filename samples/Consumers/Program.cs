// Python's multiprocessing consumer example, in C#: consumers read tasks from a JoinableQueue until a poison pill,
// call TaskDone for each, and put answers on a second queue; the main program joins the task queue and prints them.
using Consumers;
using Multiprocessing;

using JoinableQueue<MultiplyTask?> tasks = JoinableQueue<MultiplyTask?>.Create();
using SharedQueue<string> results = SharedQueue<string>.Create();

// Start consumers.
int numConsumers = WorkerProcess.CpuCount;
Console.WriteLine($"Creating {numConsumers} consumers");
List<Consumer> consumers = [];
for (int i = 0; i < numConsumers; i++)
{
    Consumer c = new() { Name = $"Consumer-{i + 1}", TaskQueue = tasks, ResultQueue = results };
    c.Start();
    consumers.Add(c);
}

// Enqueue jobs.
const int numJobs = 10;
for (int i = 0; i < numJobs; i++)
{
    tasks.Put(new MultiplyTask(i, i));
}

// Add a poison pill for each consumer.
for (int i = 0; i < numConsumers; i++)
{
    tasks.Put(null);
}

// Wait for all of the tasks to finish. If a consumer dies, this throws ConsumerDiedException instead of hanging.
tasks.Join();

// Start printing results.
for (int i = 0; i < numJobs; i++)
{
    Console.WriteLine($"Result: {results.Get()}");
}

foreach (Consumer c in consumers)
{
    c.Join();
    c.Dispose();
}
