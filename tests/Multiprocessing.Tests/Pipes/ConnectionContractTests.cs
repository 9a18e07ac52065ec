namespace Multiprocessing.Tests.Pipes;

/// <summary>
/// The behaviour every Connection transport must have, run against a pipe and against sockets (in-process here;
/// the cross-process cases live in PipeCrossProcessTests).
/// </summary>
public abstract class ConnectionContractTests
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>Two connected ends.</summary>
    protected abstract (Connection<T> A, Connection<T> B) Connect<T>();

    [Fact]
    public void Messages_of_several_types_arrive_in_order_in_both_directions()
    {
        var (a, b) = Connect<object?[]>();
        using (a)
        using (b)
        {
            a.Send([42, null, "hello"]);
            a.Send(["second"]);
            Assert.True(b.TryReceive(out object?[]? first, Patience));
            Assert.Equal(42, Convert.ToInt32(first![0], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Null(first[1]);
            Assert.Equal("hello", first[2]);
            Assert.Equal("second", b.Receive()[0]);

            b.Send([7]);
            Assert.True(a.TryReceive(out object?[]? back, Patience));
            Assert.Equal(7, Convert.ToInt32(back![0], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void Ints_strings_and_bytes_round_trip()
    {
        var (a, b) = Connect<int>();
        using (a)
        using (b)
        {
            for (int i = 0; i < 1000; i++)
            {
                a.Send(i);
                Assert.Equal(i, b.Receive());
            }

            a.SendBytes([1, 2, 3]);
            Assert.Equal([1, 2, 3], b.ReceiveBytes());
            a.SendBytes([]);
            Assert.Empty(b.ReceiveBytes());
        }

        var (s, t) = Connect<string?>();
        using (s)
        using (t)
        {
            s.Send("héllo");
            s.Send(null);
            Assert.Equal("héllo", t.Receive());
            Assert.Null(t.Receive());
        }
    }

    [Fact]
    public void TryReceive_and_Poll_time_out_when_nothing_is_sent()
    {
        var (a, b) = Connect<int>();
        using (a)
        using (b)
        {
            Assert.False(b.Poll());
            Assert.False(b.Poll(TimeSpan.FromMilliseconds(20)));
            Assert.False(b.TryReceive(out _, TimeSpan.FromMilliseconds(20)));
            Assert.False(b.TryReceiveBytes(out _, TimeSpan.Zero));
            a.Send(5);
            Assert.True(b.Poll(Patience));
            Assert.True(b.TryReceive(out int v, TimeSpan.Zero));
            Assert.Equal(5, v);
        }
    }

    [Fact]
    public void ReceiveBytesInto_a_short_buffer_reports_the_size_and_loses_nothing()
    {
        var (a, b) = Connect<int>();
        using (a)
        using (b)
        {
            byte[] payload = [.. Enumerable.Range(0, 100).Select(i => (byte)i)];
            a.SendBytes(payload);
            byte[] small = new byte[10];
            BufferTooShortException e = Assert.Throws<BufferTooShortException>(() => b.ReceiveBytesInto(small));
            Assert.Equal(100, e.RequiredLength);
            byte[] big = new byte[200];
            Assert.Equal(100, b.ReceiveBytesInto(big));
            Assert.Equal(payload, big[..100]);
        }
    }

    [Fact]
    public void A_closed_peer_is_drained_then_reads_end_of_stream_and_refuses_sends()
    {
        var (a, b) = Connect<int>();
        using (b)
        {
            a.Send(1);
            a.Send(2);
            a.Close();
            Assert.True(a.IsClosed);
            Assert.Throws<ObjectDisposedException>(() => a.Send(3));
            Assert.Equal(1, b.Receive());
            Assert.True(b.Poll(Patience));
            Assert.Equal(2, b.Receive());
            Assert.True(b.Poll(Patience));
            Assert.Throws<EndOfStreamException>(() => b.Receive());
            Assert.Throws<EndOfStreamException>(() => b.TryReceive(out _, TimeSpan.FromSeconds(1)));
            Assert.Throws<ConnectionBrokenException>(() =>
            {
                // A socket may accept the first sends into the kernel buffer before the reset arrives.
                for (int i = 0; i < 1000; i++)
                {
                    b.Send(i);
                    Thread.Sleep(i < 10 ? 1 : 0);
                }
            });
        }
    }

    [Fact]
    public async Task ReceiveAsync_completes_when_a_message_arrives_and_honours_cancellation()
    {
        var (a, b) = Connect<string>();
        using (a)
        using (b)
        {
            ValueTask<string> pending = b.ReceiveAsync();
            a.Send("late");
            Assert.Equal("late", await pending.AsTask().WaitAsync(Patience));

            using CancellationTokenSource cts = new();
            Task<string> cancelled = b.ReceiveAsync(cts.Token).AsTask();
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Patience));

            // Nothing was lost to the cancelled receive.
            a.Send("after");
            Assert.Equal("after", await b.ReceiveAsync().AsTask().WaitAsync(Patience));

            byte[] bytes = [9, 8, 7];
            a.SendBytes(bytes);
            Assert.Equal(bytes, await b.ReceiveBytesAsync().AsTask().WaitAsync(Patience));
        }
    }

    [Fact]
    public async Task ReceiveAsync_reads_end_of_stream_when_the_peer_closes()
    {
        var (a, b) = Connect<int>();
        using (b)
        {
            Task<int> pending = b.ReceiveAsync().AsTask();
            a.Close();
            await Assert.ThrowsAsync<EndOfStreamException>(() => pending.WaitAsync(Patience));
        }
    }

    [Fact]
    public async Task Wait_returns_the_ready_connections_including_those_whose_peer_closed()
    {
        var (a1, b1) = Connect<int>();
        var (a2, b2) = Connect<int>();
        var (a3, b3) = Connect<int>();
        using (a1)
        using (b1)
        using (a2)
        using (b2)
        using (b3)
        {
            Connection[] all = [b1, b2, b3];
            Assert.Empty(Connection.Wait(all, TimeSpan.FromMilliseconds(20)));

            a2.Send(1);
            Assert.Equal([b2], Connection.Wait(all, Patience));
            Assert.Equal(1, b2.Receive());

            a3.Close();
            Assert.Equal([b3], Connection.Wait(all, Patience));

            // A sender on another thread wakes a Wait that is already asleep.
            using Barrier started = new(2);
            Task sender = Task.Run(() =>
            {
                started.SignalAndWait(Patience);
                Thread.Sleep(30);
                a1.Send(2);
            });
            started.SignalAndWait(Patience);
            IReadOnlyList<Connection> ready = Connection.Wait([b1, b2], Patience);
            Assert.Equal([b1], ready);
            await sender.WaitAsync(Patience);
        }
    }

    [Fact]
    public async Task Close_from_another_thread_wakes_a_blocked_receive()
    {
        var (a, b) = Connect<int>();
        using (a)
        {
            Task<Exception?> receiver = Task.Run(() => (Exception?)Record.Exception(() => b.Receive()));
            Thread.Sleep(30);
            b.Close();
            Exception? e = await receiver.WaitAsync(Patience);
            Assert.True(e is ObjectDisposedException or EndOfStreamException, e?.ToString());
        }
    }

    [Fact]
    public async Task A_message_larger_than_the_transport_buffer_arrives_whole()
    {
        var (a, b) = Connect<byte[]>();
        using (a)
        using (b)
        {
            byte[] big = new byte[3 * 1024 * 1024 + 13];
            new Random(1).NextBytes(big);
            Task sender = Task.Run(() =>
            {
                a.SendBytes(big);
                a.Send(big);
            });
            Assert.Equal(big, b.ReceiveBytes());
            Assert.Equal(big, b.Receive());
            await sender.WaitAsync(Patience);
        }
    }
}
