using System.Diagnostics;
using Multiprocessing.Internal;
using Multiprocessing.Serialization;

namespace Multiprocessing.Tests.Queues;

public sealed record Job(int Id, string Text);

/// <summary>SharedQueue, JoinableQueue and SimpleQueue within one process (threads as producers and consumers).</summary>
public sealed class QueueTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    private static string UniqueName() => SegmentNames.NewAnonymous("qtest");

    [Fact]
    public void Ints_strings_records_and_null_pills_round_trip()
    {
        using SharedQueue<int> ints = SharedQueue<int>.Create();
        using SharedQueue<string?> strings = SharedQueue<string?>.Create();
        using SharedQueue<Job?> jobs = SharedQueue<Job?>.Create();
        using SharedQueue<byte[]?> arrays = SharedQueue<byte[]?>.Create();
        try
        {
            ints.Put(42);
            strings.Put("héllo");
            strings.Put(null);
            jobs.Put(new Job(3, "three"));
            jobs.Put(null);
            arrays.Put([1, 2, 3]);
            arrays.Put(null);
            arrays.Put([]);
            Assert.Equal(42, ints.Get());
            Assert.Equal("héllo", strings.Get());
            Assert.Null(strings.Get());
            Assert.Equal(new Job(3, "three"), jobs.Get());
            Assert.Null(jobs.Get());
            Assert.Equal([1, 2, 3], arrays.Get()!);
            Assert.Null(arrays.Get());
            Assert.Equal([], arrays.Get()!);
            Assert.True(ints.IsEmpty);
            Assert.False(ints.TryGet(out _, TimeSpan.FromMilliseconds(10)));
        }
        finally
        {
            ints.Unlink();
            strings.Unlink();
            jobs.Unlink();
            arrays.Unlink();
        }
    }

    [Fact]
    public void Many_producers_and_consumers_deliver_each_message_once_in_order_per_producer()
    {
        const int producers = 4, consumers = 4, perProducer = 25_000;
        using SharedQueue<long> q = SharedQueue<long>.Create(new SharedQueueOptions { RingBytes = 16 << 10 });
        try
        {
            List<long>[] got = new List<long>[consumers];
            Thread[] threads = new Thread[producers + consumers];
            for (int p = 0; p < producers; p++)
            {
                int id = p;
                threads[p] = new Thread(() =>
                {
                    for (int i = 0; i < perProducer; i++)
                    {
                        q.Put(((long)id << 32) | (uint)i);
                    }
                });
            }

            for (int c = 0; c < consumers; c++)
            {
                int id = c;
                got[id] = [];
                threads[producers + c] = new Thread(() =>
                {
                    while (q.TryGet(out long v, Long))
                    {
                        if (v < 0)
                        {
                            return;
                        }

                        got[id].Add(v);
                    }
                });
            }

            foreach (Thread t in threads)
            {
                t.Start();
            }

            for (int p = 0; p < producers; p++)
            {
                Assert.True(threads[p].Join(Long));
            }

            for (int c = 0; c < consumers; c++)
            {
                q.Put(-1);
            }

            for (int c = 0; c < consumers; c++)
            {
                Assert.True(threads[producers + c].Join(Long));
            }

            HashSet<long> all = [];
            foreach (List<long> list in got)
            {
                long[] last = [-1, -1, -1, -1];
                foreach (long v in list)
                {
                    Assert.True(all.Add(v), $"message {v:X} delivered twice");
                    int producer = (int)(v >> 32);
                    Assert.True((uint)v > last[producer] || last[producer] < 0, "per-producer order broken");
                    last[producer] = (uint)v;
                }
            }

            Assert.Equal(producers * perProducer, all.Count);
        }
        finally
        {
            q.Unlink();
        }
    }

    [Fact]
    public void A_1_GiB_message_streams_through_a_1_MiB_ring()
    {
        using SharedQueue<byte[]> q = SharedQueue<byte[]>.Create(new SharedQueueOptions { RingBytes = 1 << 20 });
        try
        {
            byte[] big = GC.AllocateUninitializedArray<byte>(1 << 30);
            Span<long> words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(big.AsSpan());
            for (int i = 0; i < words.Length; i++)
            {
                words[i] = unchecked(i * (long)0x9E3779B97F4A7C15UL);
            }

            Thread producer = new(() => q.Put(big));
            producer.Start();
            byte[] got = q.Get();
            Assert.True(producer.Join(Long));
            Assert.Equal(big.Length, got.Length);
            Assert.True(big.AsSpan().SequenceEqual(got));
        }
        finally
        {
            q.Unlink();
        }
    }

    [Fact]
    public void Close_lets_consumers_drain_then_reports_completion()
    {
        using SharedQueue<int> q = SharedQueue<int>.Create();
        try
        {
            q.Put(1);
            q.Put(2);
            q.Close();
            Assert.True(q.IsClosed);
            Assert.Throws<QueueClosedException>(() => q.Put(3));
            Assert.Equal(1, q.Get());
            Assert.True(q.TryGet(out int two, TimeSpan.Zero));
            Assert.Equal(2, two);
            Assert.False(q.TryGet(out _, Long));
            QueueClosedException e = Assert.Throws<QueueClosedException>(() => q.Get());
            Assert.Contains(q.Name, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            q.Unlink();
        }
    }

    [Fact]
    public void Close_wakes_a_blocked_consumer()
    {
        using SharedQueue<int> q = SharedQueue<int>.Create();
        try
        {
            using ManualResetEventSlim waiting = new();
            Exception? seen = null;
            Thread consumer = new(() =>
            {
                waiting.Set();
                try
                {
                    _ = q.Get();
                }
                catch (QueueClosedException e)
                {
                    seen = e;
                }
            });
            consumer.Start();
            waiting.Wait(Long);
            q.Close();
            Assert.True(consumer.Join(Long), "the consumer was not woken by Close");
            Assert.IsType<QueueClosedException>(seen);
        }
        finally
        {
            q.Unlink();
        }
    }

    [Fact]
    public void MaxSize_bounds_the_queue_in_messages()
    {
        using SharedQueue<int> q = SharedQueue<int>.Create(new SharedQueueOptions { MaxSize = 2 });
        try
        {
            Assert.True(q.TryPut(1, TimeSpan.Zero));
            Assert.True(q.TryPut(2, TimeSpan.Zero));
            Assert.True(q.IsFull);
            Assert.Equal(2, q.Count);
            Assert.False(q.TryPut(3, TimeSpan.FromMilliseconds(20)));
            Assert.Equal(1, q.Get());
            Assert.True(q.TryPut(3, TimeSpan.Zero));
            Assert.Equal(2, q.Get());
            Assert.Equal(3, q.Get());
        }
        finally
        {
            q.Unlink();
        }
    }

    [Fact]
    public void A_full_ring_blocks_put_until_a_consumer_makes_room()
    {
        using SharedQueue<byte[]> q = SharedQueue<byte[]>.Create(new SharedQueueOptions { RingBytes = 4096 });
        try
        {
            byte[] m = new byte[900];
            int n = 0;
            while (q.TryPut(m, TimeSpan.Zero))
            {
                n++;
            }

            Assert.InRange(n, 1, 4);
            Thread consumer = new(() => q.Get());
            consumer.Start();
            Assert.True(q.TryPut(m, Long));
            Assert.True(consumer.Join(Long));
        }
        finally
        {
            q.Unlink();
        }
    }

    [Theory]
    [InlineData(ulong.MaxValue - 5_000)]
    [InlineData((ulong)uint.MaxValue - 5_000)]
    public void Counters_started_near_the_wrap_keep_working(ulong start)
    {
        using JoinableQueue<int> q = JoinableQueue<int>.CreateForTest(UniqueName(), new SharedQueueOptions { RingBytes = 4096 }, start);
        try
        {
            Thread consumer = new(() =>
            {
                for (int i = 0; i < 10_000; i++)
                {
                    Assert.Equal(i, q.Get());
                    q.TaskDone();
                }
            });
            consumer.Start();
            for (int i = 0; i < 10_000; i++)
            {
                q.Put(i);
                Assert.InRange(q.Count, 0, 10_000);
            }

            Assert.True(q.TryJoin(Long));
            Assert.True(consumer.Join(Long));
            Assert.Equal(0, q.Count);
            Assert.True(q.IsEmpty);
            Assert.Equal(0, q.UnfinishedTasks);
        }
        finally
        {
            q.Unlink();
        }
    }

    [Fact]
    public void TaskDone_more_often_than_items_is_an_error_and_join_waits_for_the_last()
    {
        using JoinableQueue<int> q = JoinableQueue<int>.Create();
        try
        {
            q.Put(1);
            q.Put(2);
            Assert.False(q.TryJoin(TimeSpan.FromMilliseconds(20)));
            _ = q.Get();
            q.TaskDone();
            Assert.Equal(1, q.UnfinishedTasks);
            Thread late = new(() =>
            {
                _ = q.Get();
                q.TaskDone();
            });
            late.Start();
            q.Join();
            Assert.True(late.Join(Long));
            InvalidOperationException e = Assert.Throws<InvalidOperationException>(q.TaskDone);
            Assert.Contains("more times than tasks", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            q.Unlink();
        }
    }

    [Fact]
    public void Join_fails_naming_a_dead_consumer_and_its_unfinished_tasks()
    {
        using JoinableQueue<int> q = JoinableQueue<int>.Create();
        try
        {
            q.Put(1);
            q.Put(2);
            q.Put(3);
            int deadPid = DeadPid();
            JoinableQueueBackdoor.PretendTaken(q, deadPid, 2);
            ConsumerDiedException e = Assert.Throws<ConsumerDiedException>(() => q.TryJoin(Long));
            Assert.Equal(2, e.UnfinishedByPid[deadPid]);
            Assert.Contains($"process {deadPid} left 2 unfinished tasks", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            q.Unlink();
        }
    }

    [Fact]
    public void At_least_once_puts_a_dead_consumers_tasks_back()
    {
        using JoinableQueue<int> q = JoinableQueue<int>.Create(new SharedQueueOptions { AtLeastOnce = true, MaxConsumers = 4, InFlightBytesPerConsumer = 4096 });
        try
        {
            q.Put(10);
            q.Put(20);
            q.Put(30);
            Assert.Equal(10, q.Get());
            Assert.Equal(20, q.Get());

            // This process "dies": its slot is handed to a dead pid, as if another process had taken 10 and 20.
            JoinableQueueBackdoor.HandSlotTo(q, DeadPid());
            Assert.False(q.TryJoin(TimeSpan.FromMilliseconds(300)));
            List<int> rest = [];
            while (q.TryGet(out int v, TimeSpan.FromMilliseconds(100)))
            {
                rest.Add(v);
                q.TaskDone();
            }

            rest.Sort();
            Assert.Equal([10, 20, 30], rest);
            Assert.True(q.TryJoin(Long));
        }
        finally
        {
            q.Unlink();
        }
    }

    [Fact]
    public void Opening_with_another_type_or_kind_is_refused()
    {
        string name = UniqueName();
        using SharedQueue<int> q = SharedQueue<int>.Create(name);
        try
        {
            WrongKindException e = Assert.Throws<WrongKindException>(() => SharedQueue<long>.Open(name));
            Assert.Contains("Int32", e.Message, StringComparison.Ordinal);
            Assert.Contains("Int64", e.Message, StringComparison.Ordinal);
            Assert.Throws<WrongKindException>(() => JoinableQueue<int>.Open(name));
            Assert.Throws<WrongKindException>(() => SimpleQueue<int>.Open(name));
            Assert.Throws<WrongKindException>(() => SharedMemoryBlock.Open(name));
            using SharedQueue<int> same = SharedQueue<int>.Open(name);
            same.Put(5);
            Assert.Equal(5, q.Get());
        }
        finally
        {
            q.Unlink();
        }
    }

    [Fact]
    public void A_payload_that_is_not_a_T_raises_with_the_type_name()
    {
        using SharedQueue<int> q = SharedQueue<int>.Create();
        try
        {
            q.PutBytes([1, 2, 3]);
            MessageDeserializationException e = Assert.Throws<MessageDeserializationException>(() => q.Get());
            Assert.Contains("Int32", e.Message, StringComparison.Ordinal);
            Assert.Contains("3 bytes", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            q.Unlink();
        }
    }

    [Fact]
    public unsafe void A_scribbled_record_raises_a_clear_error_and_a_scribbled_header_refuses_open()
    {
        string name = UniqueName();
        using SharedQueue<int> q = SharedQueue<int>.Create(name);
        try
        {
            q.Put(1);
            byte* data = JoinableQueueBackdoor.RingData(q);
            data[3] = 0x7F; // the record's length
            InvalidDataException e = Assert.Throws<InvalidDataException>(() => q.Get());
            Assert.Contains(name, e.Message, StringComparison.Ordinal);
            JoinableQueueBackdoor.QueueMagic(q) = 0;
            Assert.Throws<InvalidDataException>(() => SharedQueue<int>.Open(name));
        }
        finally
        {
            q.Unlink();
        }
    }

    [Fact]
    public void Byte_span_apis_allocate_nothing_in_steady_state()
    {
        using SharedQueue<byte[]> q = SharedQueue<byte[]>.Create();
        using SharedQueue<long> longs = SharedQueue<long>.Create();
        try
        {
            byte[] payload = new byte[1000];
            byte[] into = new byte[2000];
            for (int i = 0; i < 2000; i++)
            {
                q.PutBytes(payload);
                _ = q.GetBytes(into);
                longs.Put(i);
                _ = longs.Get();
            }

            long sum = 0;
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                q.PutBytes(payload);
                sum += q.GetBytes(into);
            }

            long bytesPath = GC.GetAllocatedBytesForCurrentThread() - before;
            before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                longs.Put(i);
                sum += longs.Get();
            }

            long rawPath = GC.GetAllocatedBytesForCurrentThread() - before;
            // Per message: nothing (a one-off object of a few dozen bytes, from the runtime, is tolerated).
            Assert.Equal((0L, 0L), (bytesPath / 10_000, rawPath / 10_000));
            Assert.Equal((10_000L * 1000) + (10_000L * 9_999 / 2), sum);
            q.PutBytes(payload);
            Assert.Throws<ArgumentException>(() => q.GetBytes(new byte[10]));
            Assert.Equal(payload, q.Get());
        }
        finally
        {
            q.Unlink();
            longs.Unlink();
        }
    }

    [Fact]
    public void Pooled_get_returns_exactly_the_message_bytes()
    {
        using SharedQueue<byte[]?> q = SharedQueue<byte[]?>.Create(new SharedQueueOptions { RingBytes = 64 << 10 });
        using SharedQueue<string> strings = SharedQueue<string>.Create();
        try
        {
            byte[] small = [9, 8, 7];
            q.PutBytes(small);
            q.Put(null);
            using (System.Buffers.IMemoryOwner<byte> m = q.GetBytesPooled())
            {
                Assert.Equal(small, m.Memory.ToArray());
            }

            using (System.Buffers.IMemoryOwner<byte> none = q.GetBytesPooled())
            {
                Assert.Equal(0, none.Memory.Length); // a null array reads as no bytes, as with GetBytes(span)
            }

            // Larger than the ring: streamed in chunks by another thread while this one takes it.
            byte[] big = [.. Enumerable.Range(0, 200_000).Select(i => (byte)(i * 31))];
            Thread sender = new(() => q.PutBytes(big));
            sender.Start();
            System.Buffers.IMemoryOwner<byte> large = q.GetBytesPooled();
            Assert.True(sender.Join(TimeSpan.FromSeconds(30)), "the sender did not finish");
            Assert.Equal(big, large.Memory.ToArray());
            large.Dispose();
            Assert.Throws<ObjectDisposedException>(() => large.Memory);

            // Another T: the serialized form, as GetBytes() gives it.
            strings.Put("hello");
            strings.Put("hello");
            byte[] expected = strings.GetBytes();
            using (System.Buffers.IMemoryOwner<byte> s = strings.GetBytesPooled())
            {
                Assert.Equal(expected, s.Memory.ToArray());
            }

            q.Close();
            Assert.Throws<QueueClosedException>(() => q.GetBytesPooled());
        }
        finally
        {
            q.Unlink();
            strings.Unlink();
        }
    }

    [Fact]
    public async Task Async_get_put_read_all_and_join()
    {
        using JoinableQueue<int> q = JoinableQueue<int>.Create(new SharedQueueOptions { MaxSize = 4 });
        try
        {
            ValueTask<int> pending = q.GetAsync();
            Assert.False(pending.IsCompleted);
            await q.PutAsync(7);
            Assert.Equal(7, await pending.AsTask().WaitAsync(Long));
            q.TaskDone();

            Task producer = Task.Run(async () =>
            {
                for (int i = 0; i < 100; i++)
                {
                    await q.PutAsync(i);
                }

                q.Close();
            });
            int expected = 0;
            await foreach (int v in q.ReadAllAsync())
            {
                Assert.Equal(expected++, v);
                q.TaskDone();
            }

            Assert.Equal(100, expected);
            await producer.WaitAsync(Long);
            await Assert.ThrowsAsync<QueueClosedException>(async () => await q.GetAsync());
            await Assert.ThrowsAsync<QueueClosedException>(async () => await q.PutAsync(1));
            await q.JoinAsync().AsTask().WaitAsync(Long);
            using CancellationTokenSource cts = new(TimeSpan.FromMilliseconds(50));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await SharedQueue<int>.Create().GetAsync(cts.Token));
        }
        finally
        {
            q.Unlink();
        }
    }

    [Fact]
    public void Simple_queue_puts_and_gets()
    {
        using SimpleQueue<string> q = SimpleQueue<string>.Create();
        try
        {
            Assert.True(q.IsEmpty);
            q.Put("a");
            Assert.False(q.IsEmpty);
            Assert.Equal("a", q.Get());
            q.Close();
            Assert.Throws<QueueClosedException>(() => q.Get());
        }
        finally
        {
            q.Unlink();
        }
    }

    [Fact]
    public void Dispose_while_another_thread_waits_in_get_does_not_pull_the_memory_from_under_it()
    {
        string name = UniqueName();
        using SharedQueue<int> owner = SharedQueue<int>.Create(name);
        try
        {
            SharedQueue<int> view = SharedQueue<int>.Open(name);
            using ManualResetEventSlim waiting = new();
            int got = 0;
            Thread consumer = new(() =>
            {
                waiting.Set();
                _ = view.TryGet(out got, Long);
            });
            consumer.Start();
            waiting.Wait(Long);
            Thread.Sleep(50); // let it block inside TryGet
            view.Dispose();
            owner.Put(99);
            Assert.True(consumer.Join(Long));
            Assert.Equal(99, got);
            Assert.Throws<ObjectDisposedException>(() => view.Get());
        }
        finally
        {
            owner.Unlink();
        }
    }

    internal static int DeadPid()
    {
        using Process p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }
}
