using System.Runtime.InteropServices;
using Multiprocessing.Internal;
using Multiprocessing.Pipes;

namespace Multiprocessing.Tests.Pipes;

/// <summary>
/// The pipe's use of <see cref="SharedRing"/> (one reader per ring, no message counters): a sleeping reader costs the
/// writer one wake per burst, not one per message. A sleeping reader is simulated by counting a data waiter; the
/// writer's wake calls are counted.
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
            Writer = new SharedRing((RingHeader*)_memory, _memory + 256, "test-pipe-ring", null) { CountsMessages = false };
            Reader = new SharedRing((RingHeader*)_memory, _memory + 256, "test-pipe-ring", null) { CountsMessages = false };
        }

        internal SharedRing Writer { get; }

        internal SharedRing Reader { get; }

        internal RingHeader* Header => (RingHeader*)_memory;

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
    public void A_sleeping_reader_is_woken_once_per_burst()
    {
        using PipeRing r = new(4096);
        r.Reader.AddDataWaiter();
        r.Write(1);
        r.Write(2);
        r.Write(3);
        Assert.Equal(1, r.Writer.ReaderWakes);

        // The woken reader drains the ring and sleeps again: the next message lands in an empty ring and wakes it.
        Assert.Equal(1, r.Read());
        Assert.Equal(2, r.Read());
        Assert.Equal(3, r.Read());
        r.Write(4);
        Assert.Equal(2, r.Writer.ReaderWakes);
        Assert.Equal(4, r.Read());

        // Nobody counted as asleep: no wake at all.
        r.Reader.RemoveDataWaiter();
        r.Write(5);
        Assert.Equal(2, r.Writer.ReaderWakes);
        Assert.Equal(5, r.Read());
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

        Assert.Equal(0UL, r.Header->MessagesIn);
        Assert.Equal(0UL, r.Header->MessagesOut);
        Assert.Equal(r.Header->Tail, r.Header->Head);
    }

    [Fact]
    public void A_pipe_created_here_does_not_count_messages()
    {
        var (reader, writer) = Pipe.CreateOneWay<int>();
        using (reader)
        using (writer)
        {
            writer.Send(1);
            writer.Send(2);
            Assert.Equal(1, reader.Receive());
            ShmPipeTransport t = Assert.IsType<ShmPipeTransport>(writer.Transport);
            // One message sent and not yet received: a counting ring would say 1.
            Assert.Equal(0, t.Pipe.Ring(0).Count);
            Assert.Equal(2, reader.Receive());
        }
    }
}
