using System.Reflection;
using Multiprocessing.Internal;
using Multiprocessing.Queues;

namespace Multiprocessing.Tests.Queues;

/// <summary>Reaches into a queue's shared memory to stage states that need a dead process (or a scribbler).</summary>
internal static unsafe class JoinableQueueBackdoor
{
    internal static QueueCore Core<T>(SharedQueue<T> q) =>
        (QueueCore)typeof(SharedQueue<T>).GetProperty("Core", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(q)!;

    private static ConsumerSlot* Slots<T>(SharedQueue<T> q) => Core(q).SlotsForTest;

    /// <summary>Makes a free slot look like process <paramref name="pid"/> took <paramref name="tasks"/> tasks.</summary>
    internal static void PretendTaken<T>(SharedQueue<T> q, int pid, int tasks)
    {
        ConsumerSlot* s = Slots(q);
        s->Pid = pid;
        s->Taken += (ulong)tasks;
        Core(q).HeaderForTest->SlotHighWater = Math.Max(1, Core(q).HeaderForTest->SlotHighWater);
    }

    /// <summary>Gives this process's slot (with its unfinished tasks) to <paramref name="pid"/>.</summary>
    internal static void HandSlotTo<T>(SharedQueue<T> q, int pid)
    {
        ConsumerSlot* s = Slots(q);
        Assert.Equal(Environment.ProcessId, s->Pid);
        s->Pid = pid;
        s->StartTime = 0;
    }

    internal static byte* RingData<T>(SharedQueue<T> q) => Core(q).RingDataForTest;

    internal static ref int QueueMagic<T>(SharedQueue<T> q) => ref Core(q).HeaderForTest->Magic;
}
