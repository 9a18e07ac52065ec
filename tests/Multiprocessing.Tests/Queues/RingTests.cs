using System.Runtime.InteropServices;
using Multiprocessing.Internal;
using Multiprocessing.Queues;

namespace Multiprocessing.Tests.Queues;

/// <summary>The ring alone, single producer and single consumer (the pipe's use), in native memory.</summary>
public sealed unsafe class RingTests
{
    private sealed class NativeRing : IDisposable
    {
        private readonly byte* _memory;

        internal NativeRing(long capacity, ulong start = 0)
        {
            _memory = (byte*)NativeMemory.AlignedAlloc((nuint)(256 + capacity), 64);
            NativeMemory.Clear(_memory, (nuint)(256 + capacity));
            SharedRing.Initialize((RingHeader*)_memory, capacity, start, start);
            Writer = new SharedRing((RingHeader*)_memory, _memory + 256, "test-ring", null);
            Reader = new SharedRing((RingHeader*)_memory, _memory + 256, "test-ring", null);
        }

        internal SharedRing Writer { get; }

        internal SharedRing Reader { get; }

        internal RingHeader* Header => (RingHeader*)_memory;

        internal byte* Data => _memory + 256;

        public void Dispose() => NativeMemory.AlignedFree(_memory);
    }

    private static byte[] Message(int i)
    {
        byte[] m = new byte[(i * 37) % 3001];
        for (int k = 0; k < m.Length; k++)
        {
            m[k] = (byte)(i + k);
        }

        return m;
    }

    private static byte[] Read(SharedRing ring)
    {
        while (true)
        {
            Assert.True(ring.WaitForData(Deadline.After(TimeSpan.FromSeconds(10)), default), "no data within 10 s");
            PooledSink sink = default;
            try
            {
                RingStatus s = ring.TryRead(ref sink);
                if (s == RingStatus.Ok)
                {
                    return sink.Span.ToArray();
                }

                Assert.Equal(RingStatus.Empty, s);
            }
            finally
            {
                sink.Return();
            }
        }
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(ulong.MaxValue - 20_000 + 1 - 7)] // positions and counters wrap past 2^64 during the run
    [InlineData((ulong)uint.MaxValue - 20_000 + 1 - 7)] // and past 2^32
    public void Spsc_messages_arrive_whole_and_in_order_across_wrap_around(ulong start)
    {
        using NativeRing r = new(8192, start & ~7UL);
        const int n = 20_000;
        Thread producer = new(() =>
        {
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(RingStatus.Ok, r.Writer.Write(Message(i), Deadline.After(TimeSpan.FromSeconds(10)), default));
            }
        });
        producer.Start();
        for (int i = 0; i < n; i++)
        {
            Assert.True(Message(i).AsSpan().SequenceEqual(Read(r.Reader)), $"message {i} differs");
        }

        Assert.True(producer.Join(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, r.Reader.Count);
        Assert.Equal((start & ~7UL) + n, r.Header->MessagesOut);
    }

    [Fact]
    public void A_message_32_times_the_ring_streams_through_in_chunks()
    {
        using NativeRing r = new(64 << 10);
        byte[] big = new byte[2 << 20];
        Random.Shared.NextBytes(big);
        Thread producer = new(() =>
        {
            Assert.Equal(RingStatus.Ok, r.Writer.Write(big, Deadline.After(TimeSpan.FromSeconds(10)), default));
            Assert.Equal(RingStatus.Ok, r.Writer.Write([1, 2, 3], Deadline.After(TimeSpan.FromSeconds(10)), default));
        });
        producer.Start();
        Assert.True(big.AsSpan().SequenceEqual(Read(r.Reader)));
        Assert.Equal([1, 2, 3], Read(r.Reader));
        Assert.True(producer.Join(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_stream_cut_short_by_a_timeout_is_discarded_and_the_next_message_arrives()
    {
        using NativeRing r = new(4096);
        byte[] big = new byte[64 << 10];

        // Nobody reads: the first chunks fill the ring, then the put times out mid-stream.
        Assert.Equal(RingStatus.TimedOut, r.Writer.Write(big, Deadline.After(TimeSpan.FromMilliseconds(50)), default));
        Thread producer = new(() => Assert.Equal(RingStatus.Ok, r.Writer.Write([7, 7], Deadline.After(TimeSpan.FromSeconds(10)), default)));
        producer.Start();
        Assert.Equal([7, 7], Read(r.Reader));
        Assert.True(producer.Join(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_scribbled_record_header_is_reported_as_corruption()
    {
        using NativeRing r = new(4096);
        Assert.Equal(RingStatus.Ok, r.Writer.Write([1, 2, 3, 4], Deadline.Infinite, default));
        r.Data[0] ^= 0x40;
        PooledSink sink = default;
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => r.Reader.TryRead(ref sink));
        Assert.Contains("test-ring", e.Message, StringComparison.Ordinal);
        Assert.Contains("corrupt", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_scribbled_ring_header_is_refused_on_attach()
    {
        using NativeRing r = new(4096);
        r.Header->Tail += 1 << 20;
        Assert.Throws<InvalidDataException>(() => new SharedRing(r.Header, r.Data, "test-ring", null));
        r.Header->Capacity = 5000;
        Assert.Throws<InvalidDataException>(() => new SharedRing(r.Header, r.Data, "test-ring", null));
    }

    [Fact]
    public void Close_wakes_a_sleeping_reader_and_reads_as_closed_once_drained()
    {
        using NativeRing r = new(4096);
        Assert.Equal(RingStatus.Ok, r.Writer.Write([9], Deadline.Infinite, default));
        Assert.Equal([9], Read(r.Reader));
        Thread closer = new(() =>
        {
            Thread.Sleep(50);
            r.Writer.Close();
        });
        closer.Start();
        Assert.True(r.Reader.WaitForData(Deadline.After(TimeSpan.FromSeconds(10)), default));
        PooledSink sink = default;
        Assert.Equal(RingStatus.Closed, r.Reader.TryRead(ref sink));
        Assert.Equal(RingStatus.Closed, r.Writer.Write([1], Deadline.Infinite, default));
        closer.Join();
    }
}
