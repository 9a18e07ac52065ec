namespace Multiprocessing.Tests.Pipes;

/// <summary>Pipe ends passed to real worker processes: the seed program, end-of-stream on close, exit and kill -9, Wait, large messages.</summary>
public sealed class PipeCrossProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public void Seed_program_child_sends_a_list_and_the_parent_receives_it()
    {
        var (parent, child) = Pipe.Create<object?[]>();
        string segment = "/dev/shm/mp." + ((Multiprocessing.Pipes.ShmPipeTransport)parent.Transport).Pipe.Name;
        using (parent)
        using (WorkerProcess p = WorkerProcess.Start(static (Connection<object?[]> c) =>
        {
            c.Send([42, null, "hello"]);
            c.Close();
        }, child))
        {
            // Python's pattern: the parent closes its copy of the child's end right after start.
            child.Close();
            Assert.True(parent.TryReceive(out object?[]? got, Patience), "the worker's message did not arrive within 60 s");
            Assert.Equal(3, got!.Length);
            Assert.Equal(42, Convert.ToInt32(got[0], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Null(got[1]);
            Assert.Equal("hello", got[2]);
            Assert.Throws<EndOfStreamException>(() => parent.TryReceive(out _, Patience));
            Assert.True(p.Join(Patience));
            Assert.Equal(0, p.ExitCode);
        }

        Assert.False(File.Exists(segment), "the pipe's segment outlived both ends");
    }

    [Fact]
    public void A_worker_that_exits_without_closing_reads_as_end_of_stream_after_its_messages()
    {
        var (parent, child) = Pipe.Create<int>();
        using (parent)
        using (child)
        using (WorkerProcess p = WorkerProcess.Start(static (Connection<int> c) =>
        {
            for (int i = 0; i < 100; i++)
            {
                c.Send(i);
            }
        }, child))
        {
            Assert.True(p.Join(Patience));
            for (int i = 0; i < 100; i++)
            {
                Assert.True(parent.TryReceive(out int v, Patience));
                Assert.Equal(i, v);
            }

            Assert.Throws<EndOfStreamException>(() => parent.TryReceive(out _, Patience));
            Assert.Throws<ConnectionBrokenException>(() => parent.Send(1));
        }
    }

    [Fact]
    public async Task Kill_9_of_the_peer_wakes_a_blocked_receive_with_end_of_stream()
    {
        var (parent, child) = Pipe.Create<string>();
        var (readyReader, readyWriter) = Pipe.CreateOneWay<int>();
        using (parent)
        using (child)
        using (readyReader)
        using (readyWriter)
        using (WorkerProcess p = WorkerProcess.Start(static (Connection<string> c, Connection<int> ready) =>
        {
            c.Send("left behind");
            ready.Send(1);
            Thread.Sleep(Timeout.Infinite);
        }, child, readyWriter))
        {
            Assert.True(readyReader.TryReceive(out _, Patience), "the worker did not get ready within 60 s");
            Task<Exception?> receiver = Task.Run(() =>
            {
                Assert.Equal("left behind", parent.Receive());
                return (Exception?)Record.Exception(() => parent.Receive());
            });
            p.Kill();
            Assert.True(p.Join(Patience));
            Exception? e = await receiver.WaitAsync(Patience);
            Assert.IsType<EndOfStreamException>(e);
            Assert.Throws<ConnectionBrokenException>(() => parent.Send("to nobody"));
        }
    }

    [Fact]
    public void Wait_reports_the_connection_whose_worker_sent_and_the_one_whose_worker_died()
    {
        var (a, aChild) = Pipe.Create<int>();
        var (b, bChild) = Pipe.Create<int>();
        using (a)
        using (b)
        using (WorkerProcess sender = WorkerProcess.Start(static (Connection<int> c) =>
        {
            c.Send(c.Receive() * 2);
            _ = c.Poll(TimeSpan.FromSeconds(60));
        }, aChild))
        using (WorkerProcess dier = WorkerProcess.Start(static (Connection<int> c) =>
        {
            c.Send(0);
            _ = c.Receive();
        }, bChild))
        {
            aChild.Close();
            bChild.Close();

            // Killed only once it holds its end (a worker killed before it opens its end is noticed only when the handoff expires).
            Assert.True(b.TryReceive(out _, Patience));
            Assert.Empty(Connection.Wait([a, b], TimeSpan.FromMilliseconds(50)));
            a.Send(21);
            Assert.Equal([a], Connection.Wait([a, b], Patience));
            Assert.Equal(42, a.Receive());
            dier.Kill();
            Assert.Equal([b], Connection.Wait([a, b], Patience));
            Assert.Throws<EndOfStreamException>(() => b.Receive());
            a.Close();
            Assert.True(sender.Join(Patience));
            Assert.True(dier.Join(Patience));
        }
    }

    [Fact]
    public void Messages_larger_than_the_ring_cross_processes_in_both_directions()
    {
        var (parent, child) = Pipe.Create<byte[]>(bufferSize: 8192);
        using (parent)
        using (child)
        using (WorkerProcess p = WorkerProcess.Start(static (Connection<byte[]> c) =>
        {
            byte[] got = c.ReceiveBytes();
            Array.Reverse(got);
            c.SendBytes(got);
        }, child))
        {
            byte[] big = new byte[5 * 1024 * 1024 + 3];
            new Random(7).NextBytes(big);
            parent.SendBytes(big);
            Assert.True(parent.TryReceiveBytes(out byte[]? back, Patience));
            Array.Reverse(back);
            Assert.Equal(big, back);
            Assert.True(p.Join(Patience));
        }
    }

    [Fact]
    public void A_writer_killed_in_the_middle_of_a_large_message_gives_a_clear_end_of_stream_not_a_hang()
    {
        var (parent, child) = Pipe.Create<int>(bufferSize: 8192);
        using (parent)
        using (child)
        using (WorkerProcess p = WorkerProcess.Start(static (Connection<int> c) =>
        {
            c.Send(1);
            c.SendBytes(new byte[1 << 20]);
        }, child))
        {
            Assert.True(parent.TryReceive(out int ready, Patience));
            Assert.Equal(1, ready);

            // The big message has started (its header is in the ring) and the writer is blocked on the full ring.
            Assert.True(parent.Poll(Patience));
            p.Kill();
            Assert.True(p.Join(Patience));
            EndOfStreamException e = Assert.Throws<EndOfStreamException>(() => parent.ReceiveBytes());
            Assert.Contains("middle", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Torture_kill_9_at_random_points_of_a_stream_never_gives_garbage_or_a_hang()
    {
        Random rng = new(2024);
        for (int round = 0; round < 3; round++)
        {
            var (parent, child) = Pipe.Create<long>(bufferSize: 4096);
            using (parent)
            using (child)
            using (WorkerProcess p = WorkerProcess.Start(static (Connection<long> c) =>
            {
                // Mixed sizes, so that the kill can land inside a record, between records or inside a streamed message.
                for (long i = 0; ; i++)
                {
                    c.Send(i);
                    if (i % 7 == 0)
                    {
                        c.SendBytes(new byte[(int)(i % 9000)]);
                    }
                }
            }, child))
            {
                Assert.True(parent.TryReceive(out long first, Patience));
                Assert.Equal(0, first);
                Assert.Empty(parent.ReceiveBytes());
                Thread.Sleep(rng.Next(0, 30));
                p.Kill();
                Assert.True(p.Join(Patience));

                long expected = 1;
                Exception? end = null;
                try
                {
                    while (true)
                    {
                        Assert.True(parent.TryReceive(out long v, Patience), "a receive after the writer's death did not return");
                        Assert.Equal(expected, v);
                        if (expected % 7 == 0)
                        {
                            Assert.True(parent.TryReceiveBytes(out byte[]? bytes, Patience));
                            Assert.Equal((int)(expected % 9000), bytes.Length);
                        }

                        expected++;
                    }
                }
                catch (EndOfStreamException e)
                {
                    end = e;
                }

                Assert.NotNull(end);
            }
        }
    }
}
