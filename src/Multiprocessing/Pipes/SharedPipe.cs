using System.Diagnostics;
using System.Globalization;
using Multiprocessing.Internal;

namespace Multiprocessing.Pipes;

/// <summary>
/// This process's view of one pipe segment, shared by the local ends that use it. The creator owns the name: it
/// unlinks it once all its local ends are closed and no end is on its way to another process; otherwise the process
/// that completes the last handoff unlinks it (or the creator's exit, or the sweeper after a crash).
/// </summary>
internal sealed unsafe class SharedPipe
{
    private const string EndSuffix = ".end";

    private readonly Segment _segment;
    private int _localEnds;

    private SharedPipe(Segment segment)
    {
        _segment = segment;
        Header = (PipeHeader*)segment.Data;
    }

    internal PipeHeader* Header { get; }

    internal string Name => _segment.Name;

    internal System.Runtime.InteropServices.SafeHandle Mapping => _segment.Mapping;

    internal bool Duplex => Header->Duplex != 0;

    internal int Capacity => Header->Capacity;

    internal PipeEndSlot* Slot(int end) => (PipeEndSlot*)(_segment.Data + PipeLayout.EndSlotOffset) + end;

    internal int* CpuHint(int end) => (int*)(_segment.Data + PipeLayout.CpuHintOffset) + end;

    private RingHeader* RingHeaderOf(int ring) => (RingHeader*)(_segment.Data + PipeLayout.RingHeaderOffset) + ring;

    private byte* RingData(int ring) => _segment.Data + PipeLayout.RingDataOffset + ((long)ring * Capacity);

    /// <summary>
    /// A new view of ring <paramref name="ring"/> (each end keeps its own: the ring caches one side's positions). A pipe
    /// never reads message counts (<see cref="SharedRing.CountsMessages"/>).
    /// </summary>
    internal SharedRing Ring(int ring) => new(RingHeaderOf(ring), RingData(ring), Name, Mapping) { CountsMessages = false };

    internal static SharedPipe Create(int capacity, bool duplex, string tag)
    {
        Segment s = Segment.Create(SegmentNames.NewAnonymous("pipe"), SegmentKind.Pipe, PipeLayout.LayoutVersion, PipeLayout.DataLength(capacity, duplex), tag);
        SharedPipe pipe = new(s);
        pipe.Header->Duplex = duplex ? 1 : 0;
        pipe.Header->Capacity = capacity;
        long me = PeerWatch.CurrentOwner;
        pipe.Slot(0)->Owner = me;
        pipe.Slot(1)->Owner = me;
        *pipe.CpuHint(0) = -1;
        *pipe.CpuHint(1) = -1;
        for (int ring = 0; ring < (duplex ? 2 : 1); ring++)
        {
            SharedRing.Initialize(pipe.RingHeaderOf(ring), capacity);
        }

        s.Publish();
        return pipe;
    }

    /// <summary>Opens the pipe of an end name made by <see cref="EndName"/>; returns the end index.</summary>
    internal static SharedPipe Open(string endName, string tag, out int end)
    {
        ArgumentNullException.ThrowIfNull(endName);
        int at = endName.LastIndexOf(EndSuffix, StringComparison.Ordinal);
        if (at <= 0 || !int.TryParse(endName.AsSpan(at + EndSuffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out end) || end is not (0 or 1))
        {
            throw new ArgumentException($"'{endName}' does not name a pipe end; pass the Connection itself to the worker.", nameof(endName));
        }

        return new SharedPipe(Segment.Open(endName[..at], SegmentKind.Pipe, PipeLayout.LayoutVersion, tag));
    }

    internal string EndName(int end) => Name + EndSuffix + end.ToString(CultureInfo.InvariantCulture);

    /// <summary>Marks <paramref name="end"/> as travelling to another process (idempotent until it is opened there).</summary>
    internal void BeginHandoff(int end)
    {
        PipeEndSlot* slot = Slot(end);
        Volatile.Write(ref slot->HandoffTicks, Stopwatch.GetTimestamp());
        Volatile.Write(ref slot->HandoffPending, Interop.ProcessLiveness.CurrentPid);
    }

    /// <summary>Makes this process the holder of <paramref name="end"/> (the receiving side of a handoff).</summary>
    internal void TakeOver(int end)
    {
        PipeEndSlot* slot = Slot(end);
        if (Volatile.Read(ref slot->Closed) != 0)
        {
            throw new InvalidOperationException($"The pipe end '{EndName(end)}' was already closed; pass a pipe end to a worker before closing it.");
        }

        // Owner first, then clear the handoff, so the peer never sees "no handoff" with the old (exiting) holder.
        Volatile.Write(ref slot->Owner, PeerWatch.CurrentOwner);
        Volatile.Write(ref slot->HandoffPending, 0);
        if (!_segment.IsCreator && Volatile.Read(ref Header->CreatorDetached) != 0 && !HandoffPending(1 - end))
        {
            // The creator has let go and no other end still needs the name: nobody can open it any more.
            Segment.UnlinkName(Name);
        }
    }

    /// <summary>True while <paramref name="end"/> is on its way to another process and the handoff has not expired.</summary>
    private bool HandoffPending(int end)
    {
        PipeEndSlot* slot = Slot(end);
        return Volatile.Read(ref slot->HandoffPending) != 0
            && Stopwatch.GetTimestamp() - Volatile.Read(ref slot->HandoffTicks) < PeerWatch.HandoffExpiryTicks;
    }

    internal void AddLocalEnd() => Interlocked.Increment(ref _localEnds);

    /// <summary>Called once per local end when it closes; the last one releases the mapping (and the name, see the class).</summary>
    internal void ReleaseLocalEnd()
    {
        if (Interlocked.Decrement(ref _localEnds) != 0)
        {
            return;
        }

        bool pending = HandoffPending(0) || HandoffPending(1);
        if (_segment.IsCreator)
        {
            Volatile.Write(ref Header->CreatorDetached, 1);
            if (!pending)
            {
                _segment.Unlink();
            }
        }
        else if (!pending && Volatile.Read(ref Header->CreatorDetached) != 0)
        {
            Segment.UnlinkName(Name);
        }

        _segment.Dispose();
    }
}
