using System.Runtime.InteropServices;
using Multiprocessing.Internal;
using Multiprocessing.Pipes;

namespace Multiprocessing.Tests.Pipes;

/// <summary>
/// The pipe's use of <see cref="SharedRing"/>: one wake per reader round (<see cref="SharedRing.WakeOncePerConsumerRound"/>)
/// and no message counters. A sleeping reader is simulated by counting a data waiter; the producer's wake calls are counted.
/// </summary>
public sealed unsafe class PipeRingWakeTests
{
    private sealed class PipeRing : IDisposable
    {
        private readonly byte* _memory;

        internal PipeRing(long capacity)
        {
            _memory = (byte*)NativeMemory.AlignedAlloc((nuint)(256 + capacity), 64);
            NativeMemory.Clear(_memory, (nuint)(256 + capacity));
            SharedRing.Initialize((RingHeader*)_memory, capacity);
            Writer = new SharedRing((RingHeader*)_memory, _memory + 256, "test-pipe-ring", null) { WakeOncePerConsumerRound = true, CountsMessages = false };
            Reader = new SharedRing((RingHeader*)_memory, _memory + 256, "test-pipe-ring", null) { WakeOncePerConsumerRound = true, CountsMessages = false };
        }

        internal SharedRing Writer { get; }

        internal SharedRing Reader { get; }

        public void Dispose() => NativeMemory.AlignedFree(_memory);

        internal void Write(byte value) => Assert.Equal(RingStatus.Ok, Writer.Write([value], Deadline.Infinite, default));

        internal byte Read()
        {
            byte[] one = new byte[1];
            SpanRecordSink sink = new(one);
            Assert.Equal(RingStatus.Ok, Reader.TryRead(ref sink));
            Assert.Equal(1, sink.Length);
            return one[0];
        }
    }

    [Fact]
    public void A_sleeping_reader_is_woken_once_until_it_takes_something()
    {
        using PipeRing r = new(4096);
        r.Reader.AddDataWaiter();
        r.Write(1);
        r.Write(2);
        r.Write(3);
        Assert.Equal(1, r.Writer.ReaderWakes);

        // The reader has run and taken one message: the next publish wakes again.
        Assert.Equal(1, r.Read());
        r.Write(4);
        Assert.Equal(2, r.Writer.ReaderWakes);

        Assert.Equal(2, r.Read());
        Assert.Equal(3, r.Read());
        Assert.Equal(4, r.Read());
        r.Reader.RemoveDataWaiter();
        r.Write(5);
        Assert.Equal(2, r.Writer.ReaderWakes);
        Assert.Equal(5, r.Read());
    }

    [Fact]
    public void A_wake_that_finds_everything_taken_does_not_suppress_the_next_one()
    {
        using PipeRing r = new(4096);
        r.Reader.AddDataWaiter();
        r.Write(1);
        Assert.Equal(1, r.Writer.ReaderWakes);

        // The reader takes the message before the producer looks at Head (a spinning reader does that), then goes back to
        // sleep on the empty ring: a wake issued now promises nothing about the next message, which must wake it again.
        Assert.Equal(1, r.Read());
        r.Writer.WakeReaders(wakeAll: false);
        Assert.Equal(2, r.Writer.ReaderWakes);
        r.Write(2);
        Assert.Equal(3, r.Writer.ReaderWakes);
        Assert.Equal(2, r.Read());
        r.Reader.RemoveDataWaiter();
    }

    [Fact]
    public void Without_the_option_every_publish_wakes_a_counted_waiter()
    {
        using PipeRing r = new(4096);
        SharedRing writer = new(r.Writer.Header, (byte*)r.Writer.Header + 256, "test-pipe-ring", null);
        r.Reader.AddDataWaiter();
        Assert.Equal(RingStatus.Ok, writer.Write([1], Deadline.Infinite, default));
        Assert.Equal(RingStatus.Ok, writer.Write([2], Deadline.Infinite, default));
        Assert.Equal(2, writer.ReaderWakes);
        r.Reader.RemoveDataWaiter();
    }

    [Fact]
    public void Pipe_rings_leave_the_message_counters_alone()
    {
        using PipeRing r = new(4096);
        for (int i = 0; i < 10; i++)
        {
            r.Write((byte)i);
        }

        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(i, r.Read());
        }

        Assert.Equal(0UL, r.Writer.Header->MessagesIn);
        Assert.Equal(0UL, r.Writer.Header->MessagesOut);
        Assert.Equal(r.Writer.Header->Tail, r.Writer.Header->Head);
    }
}
