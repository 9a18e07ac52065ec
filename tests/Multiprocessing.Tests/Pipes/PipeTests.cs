namespace Multiprocessing.Tests.Pipes;

/// <summary>The contract on a shared-memory pipe with a small ring (so that large messages stream), plus pipe-only behaviour.</summary>
public sealed class PipeTests : ConnectionContractTests
{
    protected override (Connection<T> A, Connection<T> B) Connect<T>() => Pipe.Create<T>(bufferSize: 4096);

    [Fact]
    public void One_way_pipe_sends_from_writer_to_reader_only()
    {
        var (reader, writer) = Pipe.CreateOneWay<int>();
        using (reader)
        using (writer)
        {
            Assert.True(writer.CanSend);
            Assert.False(writer.CanReceive);
            Assert.True(reader.CanReceive);
            Assert.False(reader.CanSend);
            writer.Send(3);
            Assert.Equal(3, reader.Receive());
            Assert.Throws<InvalidOperationException>(() => reader.Send(1));
            Assert.Throws<InvalidOperationException>(() => writer.Receive());
        }
    }

    [Fact]
    public async Task A_full_ring_blocks_the_writer_until_the_reader_makes_room()
    {
        var (a, b) = Pipe.Create<long>(bufferSize: 4096);
        using (a)
        using (b)
        {
            const int n = 100_000;
            Task sender = Task.Run(() =>
            {
                for (long i = 0; i < n; i++)
                {
                    a.Send(i);
                }
            });
            for (long i = 0; i < n; i++)
            {
                Assert.True(b.TryReceive(out long v, Patience));
                Assert.Equal(i, v);
            }

            await sender.WaitAsync(Patience);
        }
    }

    [Fact]
    public async Task A_streamed_message_refused_by_a_short_buffer_is_kept_whole()
    {
        var (a, b) = Pipe.Create<int>(bufferSize: 4096);
        using (a)
        using (b)
        {
            byte[] payload = [.. Enumerable.Range(0, 20_000).Select(i => (byte)(i * 7))];
            Task sender = Task.Run(() => a.SendBytes(payload));
            BufferTooShortException e = Assert.Throws<BufferTooShortException>(() => b.ReceiveBytesInto(new byte[100]));
            Assert.Equal(payload.Length, e.RequiredLength);
            byte[] big = new byte[30_000];
            Assert.Equal(payload.Length, b.ReceiveBytesInto(big));
            Assert.Equal(payload, big[..payload.Length]);
            await sender.WaitAsync(Patience);
        }
    }

    [Fact]
    public async Task Pooled_receive_returns_exactly_each_message_also_one_larger_than_the_ring()
    {
        var (a, b) = Pipe.Create<int>(bufferSize: 4096);
        using (a)
        using (b)
        {
            byte[] big = [.. Enumerable.Range(0, 50_000).Select(i => (byte)(i * 13))];
            Task sender = Task.Run(() =>
            {
                a.SendBytes([1, 2, 3]);
                a.SendBytes(big);
                a.SendBytes([]);
                a.Close();
            });
            using (System.Buffers.IMemoryOwner<byte> m = b.ReceiveBytesPooled())
            {
                Assert.Equal(new byte[] { 1, 2, 3 }, m.Memory.ToArray());
            }

            System.Buffers.IMemoryOwner<byte> large = b.ReceiveBytesPooled();
            Assert.Equal(big, large.Memory.ToArray());
            large.Dispose();
            large.Dispose(); // a second Dispose does nothing
            Assert.Throws<ObjectDisposedException>(() => large.Memory);
            using (System.Buffers.IMemoryOwner<byte> empty = b.ReceiveBytesPooled())
            {
                Assert.Equal(0, empty.Memory.Length);
            }

            await sender.WaitAsync(Patience);
            Assert.Throws<EndOfStreamException>(() => b.ReceiveBytesPooled());
        }
    }

    [Fact]
    public async Task Pooled_receive_has_try_and_async_forms()
    {
        var (a, b) = Pipe.Create<int>(bufferSize: 4096);
        using (a)
        using (b)
        {
            Assert.False(b.TryReceiveBytesPooled(out System.Buffers.IMemoryOwner<byte>? none, TimeSpan.FromMilliseconds(20)));
            Assert.Null(none);
            a.SendBytes([4, 5]);
            Assert.True(b.TryReceiveBytesPooled(out System.Buffers.IMemoryOwner<byte>? got, Patience));
            using (got)
            {
                Assert.Equal(new byte[] { 4, 5 }, got.Memory.ToArray());
            }

            ValueTask<System.Buffers.IMemoryOwner<byte>> pending = b.ReceiveBytesPooledAsync();
            a.SendBytes([6]);
            using System.Buffers.IMemoryOwner<byte> later = await pending.AsTask().WaitAsync(Patience);
            Assert.Equal(new byte[] { 6 }, later.Memory.ToArray());
        }
    }

    [Fact]
    public async Task A_writer_blocked_on_a_full_ring_is_released_when_the_reader_closes()
    {
        var (a, b) = Pipe.Create<long>(bufferSize: 4096);
        using (a)
        {
            Task sender = Task.Run(() =>
            {
                for (long i = 0; ; i++)
                {
                    a.Send(i);
                }
            });
            Assert.Equal(0L, b.Receive());
            b.Close();
            await Assert.ThrowsAsync<ConnectionBrokenException>(() => sender.WaitAsync(Patience));
        }
    }

    [Fact]
    public void The_segment_is_removed_once_both_ends_are_closed()
    {
        string[] before = ShmNames();
        var (a, b) = Pipe.Create<int>();
        Assert.Single(ShmNames().Except(before));
        a.Close();
        b.Close();
        Assert.Empty(ShmNames().Except(before));
    }

    [Fact]
    public void Bad_buffer_sizes_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Pipe.Create<int>(bufferSize: 5000));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pipe.Create<int>(bufferSize: 1024));
    }

    [Fact]
    public async Task Ping_pong_across_threads_keeps_every_message()
    {
        var (a, b) = Pipe.Create<int>();
        using (a)
        using (b)
        {
            Task echo = Task.Run(() =>
            {
                while (true)
                {
                    int x = b.Receive();
                    if (x < 0)
                    {
                        return;
                    }

                    b.Send(x + 1);
                }
            });
            for (int i = 0; i < 20_000; i++)
            {
                a.Send(i);
                Assert.True(a.TryReceive(out int r, Patience));
                Assert.Equal(i + 1, r);
            }

            a.Send(-1);
            await echo.WaitAsync(Patience);
        }
    }

    internal static string[] ShmNames() => [.. Directory.GetFiles("/dev/shm", "mp.pipe-*")];
}
