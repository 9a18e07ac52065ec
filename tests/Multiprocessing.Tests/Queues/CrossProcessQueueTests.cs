using System.Collections.Concurrent;

namespace Multiprocessing.Tests.Queues;

/// <summary>Queues between real processes: the seed example, many-to-many, kill -9 of producers and consumers.</summary>
public sealed class CrossProcessQueueTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public sealed record SeedTask(int A, int B);

    /// <summary>The seed's consumer: takes tasks until a null pill, puts a result line for each, marks each done.</summary>
    private sealed class Consumer : WorkerProcess
    {
        public JoinableQueue<SeedTask?>? Tasks;
        public SharedQueue<string>? Results;

        protected override void Run()
        {
            while (true)
            {
                SeedTask? t = Tasks!.Get();
                if (t is null)
                {
                    Tasks.TaskDone();
                    break;
                }

                Results!.Put($"{t.A} * {t.B} = {t.A * t.B}");
                Tasks.TaskDone();
            }
        }
    }

    [Fact]
    public void The_seed_example_consumers_with_poison_pills_and_join()
    {
        using JoinableQueue<SeedTask?> tasks = JoinableQueue<SeedTask?>.Create();
        using SharedQueue<string> results = SharedQueue<string>.Create();
        try
        {
            Consumer[] consumers = [.. Enumerable.Range(0, 2).Select(_ => new Consumer { Tasks = tasks, Results = results })];
            foreach (Consumer c in consumers)
            {
                c.Start();
            }

            for (int i = 0; i < 10; i++)
            {
                tasks.Put(new SeedTask(i, i));
            }

            foreach (Consumer _ in consumers)
            {
                tasks.Put(null);
            }

            Assert.True(tasks.TryJoin(Timeout), "Join did not finish within 60 s");
            HashSet<string> lines = [];
            for (int i = 0; i < 10; i++)
            {
                Assert.True(results.TryGet(out string line, Timeout));
                lines.Add(line);
            }

            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{i} * {i} = {i * i}").ToHashSet(), lines);
            foreach (Consumer c in consumers)
            {
                Assert.True(c.Join(Timeout));
                Assert.Equal(0, c.ExitCode);
                c.Dispose();
            }
        }
        finally
        {
            tasks.Unlink();
            results.Unlink();
        }
    }

    [Fact]
    public void Two_producer_and_two_consumer_processes_deliver_each_message_once_in_order_per_producer()
    {
        const int perProducer = 20_000;
        using SharedQueue<long> q = SharedQueue<long>.Create(new SharedQueueOptions { RingBytes = 16 << 10 });
        using SharedQueue<long[]> reports = SharedQueue<long[]>.Create();
        try
        {
            List<WorkerProcess> workers = [];
            for (int c = 0; c < 2; c++)
            {
                workers.Add(WorkerProcess.Start(static (SharedQueue<long> q, SharedQueue<long[]> reports) =>
                {
                    List<long> got = [];
                    long v;
                    while ((v = q.Get()) >= 0)
                    {
                        got.Add(v);
                    }

                    reports.Put([.. got]);
                }, q, reports));
            }

            for (int p = 0; p < 2; p++)
            {
                workers.Add(WorkerProcess.Start(static (SharedQueue<long> q, int id, int n) =>
                {
                    for (int i = 0; i < n; i++)
                    {
                        q.Put(((long)id << 32) | (uint)i);
                    }

                    q.Put(-1); // one pill per producer; two producers, two consumers
                }, q, p, perProducer));
            }

            HashSet<long> all = [];
            for (int c = 0; c < 2; c++)
            {
                Assert.True(reports.TryGet(out long[] got, Timeout), "a consumer did not report within 60 s");
                long[] last = [-1, -1];
                foreach (long v in got)
                {
                    Assert.True(all.Add(v), $"message {v:X} delivered twice");
                    int producer = (int)(v >> 32);
                    Assert.True((uint)v > last[producer] || last[producer] < 0, "per-producer order broken");
                    last[producer] = (uint)v;
                }
            }

            Assert.Equal(2 * perProducer, all.Count);
            foreach (WorkerProcess w in workers)
            {
                Assert.True(w.Join(Timeout));
                Assert.Equal(0, w.ExitCode);
                w.Dispose();
            }
        }
        finally
        {
            q.Unlink();
            reports.Unlink();
        }
    }

    [Fact]
    public void A_producer_that_exits_right_after_put_loses_nothing()
    {
        string name = Multiprocessing.Internal.SegmentNames.NewAnonymous("named-q");
        using SharedQueue<string> q = SharedQueue<string>.Create(name);
        try
        {
            // The worker attaches by name, as an unrelated program would.
            using WorkerProcess w = WorkerProcess.Start(static (string name) =>
            {
                using SharedQueue<string> mine = SharedQueue<string>.Open(name);
                for (int i = 0; i < 1000; i++)
                {
                    mine.Put("m" + i);
                }

                Environment.Exit(0); // no flush step exists to skip: Put already wrote to shared memory
            }, name);
            Assert.True(w.Join(Timeout));
            for (int i = 0; i < 1000; i++)
            {
                Assert.True(q.TryGet(out string s, Timeout));
                Assert.Equal("m" + i, s);
            }
        }
        finally
        {
            q.Unlink();
        }
    }

    [Fact]
    public void A_sleeping_consumer_takes_what_arrives_while_its_peer_is_busy_with_a_long_task()
    {
        // Puts into a non-empty ring wake nobody (the awake consumer is trusted to go on, and wakes more while a
        // backlog lasts), so this checks that work never waits behind a busy consumer while another one sleeps.
        using SharedQueue<int> q = SharedQueue<int>.Create();
        using SharedQueue<int> taken = SharedQueue<int>.Create();
        using SharedEvent release = SharedEvent.Create();
        List<WorkerProcess> workers = [];
        try
        {
            for (int c = 0; c < 2; c++)
            {
                workers.Add(WorkerProcess.Start(static (SharedQueue<int> q, SharedQueue<int> taken, SharedEvent release) =>
                {
                    while (true)
                    {
                        int item = q.Get();
                        if (item < 0)
                        {
                            return;
                        }

                        taken.Put(item);
                        _ = release.Wait(TimeSpan.FromSeconds(60)); // the "long task"
                    }
                }, q, taken, release));
            }

            HashSet<int> seen = [];
            for (int i = 0; i < 2; i++)
            {
                // The first goes to either consumer, which then stays busy; the second must reach the other one.
                q.Put(i);
                Assert.True(taken.TryGet(out int got, Timeout), $"message {i} was not taken while one consumer was busy and the other asleep");
                seen.Add(got);
            }

            release.Set();
            for (int i = 2; i < 200; i++)
            {
                q.Put(i);
            }

            while (seen.Count < 200)
            {
                Assert.True(taken.TryGet(out int got, Timeout), $"only {seen.Count} of 200 messages were taken");
                Assert.True(seen.Add(got), $"message {got} was taken twice");
            }

            q.Put(-1);
            q.Put(-1);
            foreach (WorkerProcess w in workers)
            {
                Assert.True(w.Join(Timeout), "a consumer did not stop on its pill");
                Assert.Equal(0, w.ExitCode);
            }
        }
        finally
        {
            foreach (WorkerProcess w in workers)
            {
                if (w.IsAlive)
                {
                    w.Kill();
                }

                w.Dispose();
            }

            q.Unlink();
            taken.Unlink();
            release.Unlink();
        }
    }

    [Fact]
    public void Join_fails_naming_a_consumer_killed_mid_task_and_at_least_once_puts_its_task_back()
    {
        foreach (bool atLeastOnce in new[] { false, true })
        {
            using JoinableQueue<int> tasks = JoinableQueue<int>.Create(new SharedQueueOptions { AtLeastOnce = atLeastOnce });
            using SharedQueue<int> taken = SharedQueue<int>.Create();
            try
            {
                tasks.Put(41);
                tasks.Put(42);
                using WorkerProcess w = WorkerProcess.Start(static (JoinableQueue<int> tasks, SharedQueue<int> taken) =>
                {
                    taken.Put(tasks.Get());
                    taken.Put(tasks.Get());
                    Thread.Sleep(System.Threading.Timeout.Infinite); // "working" on both, never done
                }, tasks, taken);
                Assert.True(taken.TryGet(out _, Timeout));
                Assert.True(taken.TryGet(out _, Timeout));
                w.Kill();
                Assert.True(w.Join(Timeout));
                if (!atLeastOnce)
                {
                    ConsumerDiedException e = Assert.Throws<ConsumerDiedException>(() => tasks.TryJoin(Timeout));
                    Assert.Equal(2, e.UnfinishedByPid[w.Pid]);
                    Assert.Contains($"process {w.Pid} left 2 unfinished tasks", e.Message, StringComparison.Ordinal);
                }
                else
                {
                    // Join puts the dead consumer's tasks back; this process then does them.
                    Assert.False(tasks.TryJoin(TimeSpan.FromMilliseconds(300)));
                    List<int> again = [tasks.Get(), tasks.Get()];
                    again.Sort();
                    Assert.Equal([41, 42], again);
                    tasks.TaskDone();
                    tasks.TaskDone();
                    Assert.True(tasks.TryJoin(Timeout));
                }
            }
            finally
            {
                tasks.Unlink();
                taken.Unlink();
            }
        }
    }

    [Fact]
    public void A_producer_killed_mid_stream_leaves_no_partial_message_and_no_lock()
    {
        using SharedQueue<byte[]> q = SharedQueue<byte[]>.Create(new SharedQueueOptions { RingBytes = 64 << 10 });
        using SharedMemoryBlock flag = SharedMemoryBlock.Create(8);
        try
        {
            // Nobody reads yet: the worker fills the ring with the first chunks of a 32 MiB message and blocks.
            using WorkerProcess w = WorkerProcess.Start(static (SharedQueue<byte[]> q, SharedMemoryBlock flag) =>
            {
                Volatile.Write(ref flag.Span[0], 1);
                q.Put(new byte[32 << 20]);
            }, q, flag);
            WorkerProcessTests_WaitFor(flag, w);
            while (q.RingBytes - 1024 > Backdoor_Used(q))
            {
                Assert.True(w.IsAlive, "the worker exited before filling the ring");
                Thread.Yield();
            }

            w.Kill();
            Assert.True(w.Join(Timeout));

            // A consumer takes the dead stream's chunks, sees its producer dead and drops them; a new producer takes
            // the abandoned write lock over.
            byte[]? got = null;
            Thread consumer = new(() => q.TryGet(out got, Timeout));
            consumer.Start();
            Assert.True(q.TryPut([1, 2, 3], Timeout), "the dead producer's write lock was not taken over");
            Assert.True(consumer.Join(Timeout));
            Assert.Equal([1, 2, 3], got!);
            Assert.True(q.IsEmpty);
        }
        finally
        {
            q.Unlink();
            flag.Unlink();
        }
    }

    private static long Backdoor_Used<T>(SharedQueue<T> q)
    {
        Multiprocessing.Internal.SharedRing ring = JoinableQueueBackdoor.Core(q).Ring;
        return (long)(ring.Tail - ring.Head);
    }

    private static void WorkerProcessTests_WaitFor(SharedMemoryBlock flag, WorkerProcess w)
    {
        DateTime until = DateTime.UtcNow + Timeout;
        while (Volatile.Read(ref flag.Span[0]) == 0)
        {
            Assert.True(DateTime.UtcNow < until && w.IsAlive, "the worker did not start within 60 s");
            Thread.Sleep(1);
        }
    }

    /// <summary>What a torture consumer reports for each message it took.</summary>
    internal struct Report
    {
        public int Consumer;
        public int Producer;
        public long Seq;
    }

    [Fact]
    public void Torture_kill_9_producers_and_consumers_at_random_nothing_acknowledged_is_lost_or_corrupted()
    {
        const int producers = 2, consumers = 2, maxInstances = 512;
        TimeSpan duration = TimeSpan.FromSeconds(25);
        using SharedQueue<byte[]> q = SharedQueue<byte[]>.Create(new SharedQueueOptions { RingBytes = 64 << 10 });
        using SharedQueue<Report> reports = SharedQueue<Report>.Create(new SharedQueueOptions { RingBytes = 4 << 20 });

        // Per producer instance: the last sequence number whose Put returned. Byte 0 of slot 0: stop flag.
        using SharedMemoryBlock acks = SharedMemoryBlock.Create(8L * (maxInstances + 1));
        try
        {
            acks.GetSpan(8, 8 * maxInstances).Fill(0xFF);
            int nextId = 1;
            WorkerProcess StartProducer() => WorkerProcess.Start(static (SharedQueue<byte[]> q, SharedMemoryBlock acks, int id) =>
            {
                Random rng = new(id);
                Span<long> ack = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(acks.GetSpan(8L * id, 8));
                for (long seq = 0; Volatile.Read(ref acks.Span[0]) == 0; seq++)
                {
                    int r = rng.Next(1000);
                    int size = r < 2 ? 100_000 : r < 30 ? 5_000 + rng.Next(20_000) : 16 + rng.Next(200);
                    q.Put(TortureMessage(id, seq, size));
                    Volatile.Write(ref ack[0], seq);
                }
            }, q, acks, nextId++);
            WorkerProcess StartConsumer() => WorkerProcess.Start(static (SharedQueue<byte[]> q, SharedQueue<Report> reports, int id) =>
            {
                while (true)
                {
                    byte[] m = q.Get();
                    if (m.Length == 0)
                    {
                        return;
                    }

                    (int producer, long seq) = CheckTortureMessage(m);
                    reports.Put(new Report { Consumer = id, Producer = producer, Seq = seq });
                }
            }, q, reports, nextId++);

            List<WorkerProcess> live = [];
            List<WorkerProcess> dead = [];
            Dictionary<WorkerProcess, bool> isProducer = [];
            for (int i = 0; i < producers; i++)
            {
                WorkerProcess p = StartProducer();
                isProducer[p] = true;
                live.Add(p);
            }

            for (int i = 0; i < consumers; i++)
            {
                WorkerProcess c = StartConsumer();
                isProducer[c] = false;
                live.Add(c);
            }

            ConcurrentQueue<Report> received = [];
            using CancellationTokenSource stopDrain = new();
            Thread drain = new(() =>
            {
                while (!stopDrain.IsCancellationRequested || !reports.IsEmpty)
                {
                    if (reports.TryGet(out Report r, TimeSpan.FromMilliseconds(100)))
                    {
                        received.Enqueue(r);
                    }
                }
            });
            drain.Start();

            Random random = new(12345);
            int consumerKills = 0;
            DateTime end = DateTime.UtcNow + duration;
            while (DateTime.UtcNow < end)
            {
                Thread.Sleep(random.Next(100, 600));
                WorkerProcess victim = live[random.Next(live.Count)];
                Assert.True(victim.IsAlive, $"worker {victim.Pid} died on its own: {victim.Failure}");
                victim.Kill();
                Assert.True(victim.Join(Timeout));
                live.Remove(victim);
                dead.Add(victim);
                bool producer = isProducer[victim];
                consumerKills += producer ? 0 : 1;
                WorkerProcess replacement = producer ? StartProducer() : StartConsumer();
                isProducer[replacement] = producer;
                live.Add(replacement);
            }

            // Liveness, not throughput: after the last kill the survivors and replacements must still move messages
            // (on a loaded machine a replacement can take longer to start than the gap between kills).
            int atLastKill = received.Count;
            System.Diagnostics.Stopwatch progress = System.Diagnostics.Stopwatch.StartNew();
            while (received.Count < atLastKill + 100 && progress.Elapsed < Timeout)
            {
                Thread.Sleep(10);
            }

            Assert.True(received.Count >= atLastKill + 100, $"only {received.Count - atLastKill} messages moved in {Timeout.TotalSeconds} s after the last kill (deadlock?)");

            // Stop producers, then one empty message (pill) per consumer.
            acks.Span[0] = 1;
            foreach (WorkerProcess p in live.Where(p => isProducer[p]))
            {
                Assert.True(p.Join(Timeout), "a producer did not stop within 60 s (deadlock?)");
                Assert.Equal(0, p.ExitCode);
            }

            for (int i = 0; i < consumers; i++)
            {
                Assert.True(q.TryPut([], Timeout), "the pills could not be put within 60 s (deadlock?)");
            }

            foreach (WorkerProcess c in live.Where(p => !isProducer[p]))
            {
                Assert.True(c.Join(Timeout), "a consumer did not finish within 60 s (deadlock?)");
                Assert.Equal(0, c.ExitCode);
            }

            stopDrain.Cancel();
            Assert.True(drain.Join(Timeout));

            // Nothing twice; per consumer, each producer's messages in order; every acknowledged message arrived,
            // except at most one per killed consumer (the one it was taking when killed).
            HashSet<(int, long)> seen = [];
            Dictionary<(int, int), long> lastSeq = [];
            foreach (Report r in received)
            {
                Assert.True(seen.Add((r.Producer, r.Seq)), $"producer {r.Producer} message {r.Seq} delivered twice");
                Assert.True(!lastSeq.TryGetValue((r.Consumer, r.Producer), out long last) || r.Seq > last, "per-producer order broken");
                lastSeq[(r.Consumer, r.Producer)] = r.Seq;
            }

            long missing = 0;
            for (int id = 1; id < nextId; id++)
            {
                long acked = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(acks.GetSpan(8L * id, 8))[0];
                for (long s = 0; s <= acked; s++)
                {
                    missing += seen.Contains((id, s)) ? 0 : 1;
                }
            }

            output.WriteLine($"{seen.Count} messages delivered, {dead.Count} workers killed ({consumerKills} consumers), {missing} acknowledged messages missing");
            Assert.True(missing <= consumerKills, $"{missing} acknowledged messages were lost, with only {consumerKills} consumers killed");
            foreach (WorkerProcess w in live.Concat(dead))
            {
                w.Dispose();
            }
        }
        finally
        {
            q.Unlink();
            reports.Unlink();
            acks.Unlink();
        }
    }

    [Fact]
    public void Torture_at_least_once_join_completes_with_every_task_done_while_consumers_are_killed()
    {
        const int n = 5000;
        using JoinableQueue<int> tasks = JoinableQueue<int>.Create(new SharedQueueOptions { AtLeastOnce = true, InFlightBytesPerConsumer = 4096 });
        using SharedQueue<int> done = SharedQueue<int>.Create(new SharedQueueOptions { RingBytes = 4 << 20 });
        try
        {
            for (int i = 0; i < n; i++)
            {
                tasks.Put(i);
            }

            static WorkerProcess StartConsumer(JoinableQueue<int> tasks, SharedQueue<int> done) =>
                WorkerProcess.Start(static (JoinableQueue<int> tasks, SharedQueue<int> done) =>
                {
                    while (true)
                    {
                        int t = tasks.Get();
                        if (t < 0)
                        {
                            tasks.TaskDone();
                            return;
                        }

                        Thread.Sleep(2); // "work"
                        done.Put(t);
                        tasks.TaskDone();
                    }
                }, tasks, done);

            List<WorkerProcess> live = [StartConsumer(tasks, done), StartConsumer(tasks, done)];
            List<WorkerProcess> killed = [];
            HashSet<int> seen = [];
            Random random = new(7);
            DateTime end = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            DateTime nextKill = DateTime.UtcNow.AddMilliseconds(300);
            while (DateTime.UtcNow < end && seen.Count < n)
            {
                while (DateTime.UtcNow < nextKill && done.TryGet(out int t, TimeSpan.FromMilliseconds(20)))
                {
                    seen.Add(t);
                }

                if (DateTime.UtcNow >= nextKill)
                {
                    WorkerProcess victim = live[random.Next(live.Count)];
                    victim.Kill();
                    Assert.True(victim.Join(Timeout));
                    live.Remove(victim);
                    killed.Add(victim);
                    live.Add(StartConsumer(tasks, done));
                    nextKill = DateTime.UtcNow.AddMilliseconds(random.Next(100, 300));
                }
            }

            // No more kills: the dead consumers' tasks come back and get done. (Pills go last: a task put back after
            // the pills would find no consumer left.)
            DateTime until = DateTime.UtcNow + Timeout;
            while (seen.Count < n && DateTime.UtcNow < until)
            {
                if (done.TryGet(out int t, TimeSpan.FromMilliseconds(100)))
                {
                    seen.Add(t);
                }
            }

            Assert.Equal(n, seen.Count);
            foreach (WorkerProcess _ in live)
            {
                tasks.Put(-1);
            }

            Assert.True(tasks.TryJoin(Timeout), "Join did not finish within 60 s");
            foreach (WorkerProcess w in live)
            {
                Assert.True(w.Join(Timeout));
                Assert.Equal(0, w.ExitCode);
            }

            while (done.TryGet(out int t, TimeSpan.Zero))
            {
                seen.Add(t);
            }

            output.WriteLine($"{killed.Count} consumers killed; {seen.Count} distinct tasks done");
            Assert.NotEmpty(killed);
            foreach (WorkerProcess w in live.Concat(killed))
            {
                w.Dispose();
            }
        }
        finally
        {
            tasks.Unlink();
            done.Unlink();
        }
    }

    internal static byte[] TortureMessage(int producer, long seq, int size)
    {
        byte[] m = new byte[size];
        BitConverter.TryWriteBytes(m.AsSpan(0, 4), producer);
        BitConverter.TryWriteBytes(m.AsSpan(4, 8), seq);
        BitConverter.TryWriteBytes(m.AsSpan(12, 4), size);
        for (int k = 16; k < size; k++)
        {
            m[k] = (byte)((seq * 31) + k);
        }

        return m;
    }

    internal static (int Producer, long Seq) CheckTortureMessage(byte[] m)
    {
        int producer = BitConverter.ToInt32(m, 0);
        long seq = BitConverter.ToInt64(m, 4);
        int size = BitConverter.ToInt32(m, 12);
        if (size != m.Length)
        {
            throw new InvalidDataException($"torture message of producer {producer} seq {seq} is {m.Length} bytes, not {size}");
        }

        for (int k = 16; k < size; k++)
        {
            if (m[k] != (byte)((seq * 31) + k))
            {
                throw new InvalidDataException($"torture message of producer {producer} seq {seq} is corrupt at byte {k}");
            }
        }

        return (producer, seq);
    }
}
