using System.Diagnostics;
using Multiprocessing.Interop;

namespace Multiprocessing.Pipes;

/// <summary>
/// Answers "has the other end gone?" for a pipe end: closed by its holder, or its holder process died (checked
/// through a cached pidfd, so a zombie or a reused pid is not taken for a live holder). Not thread-safe; each
/// transport owns one.
/// </summary>
internal sealed unsafe class PeerWatch : IDisposable
{
    /// <summary>A handoff that no process completed within this time no longer keeps the end alive.</summary>
    internal static readonly long HandoffExpiryTicks = Stopwatch.Frequency * 60;

    private readonly PipeEndSlot* _slot;
    private long _cachedOwner = -1;
    private bool _cachedDead;
    private SafeFdHandle? _pidfd;

    internal PeerWatch(PipeEndSlot* slot) => _slot = slot;

    /// <summary>True once the holder closed the end; cheap (one read of a rarely written line).</summary>
    internal bool IsClosed => Volatile.Read(ref _slot->Closed) != 0;

    /// <summary>True if the end is closed, or its holder is dead and no handoff to another process is under way.</summary>
    internal bool IsGone()
    {
        if (IsClosed)
        {
            return true;
        }

        long owner = Volatile.Read(ref _slot->Owner);
        if (HandoffInProgress())
        {
            return false;
        }

        if (owner == 0)
        {
            // The last holder gave the end away and the handoff expired: nobody will ever hold it.
            return true;
        }

        return IsDead(owner);
    }

    private bool HandoffInProgress()
    {
        if (Volatile.Read(ref _slot->HandoffPending) == 0)
        {
            return false;
        }

        long at = Volatile.Read(ref _slot->HandoffTicks);
        return Stopwatch.GetTimestamp() - at < HandoffExpiryTicks;
    }

    private bool IsDead(long owner)
    {
        int pid = (int)owner;
        if (pid == ProcessLiveness.CurrentPid)
        {
            return false;
        }

        if (owner != _cachedOwner)
        {
            _pidfd?.Dispose();
            _pidfd = null;
            _cachedOwner = owner;
            SafeFdHandle fd = Pidfd.Open(pid);
            if (fd.IsInvalid)
            {
                fd.Dispose();
                _cachedDead = true;
                return true;
            }

            // Opened first, checked second: if the pid was reused before pidfd_open, the start time differs.
            uint start = (uint)(owner >>> 32);
            _cachedDead = start != 0 && (uint)ProcessLiveness.StartTime(pid) != start;
            _pidfd = fd;
        }

        if (_cachedDead)
        {
            return true;
        }

        _cachedDead = Pidfd.WaitExited(_pidfd!, 0);
        return _cachedDead;
    }

    /// <summary>The owner word for the current process.</summary>
    internal static long CurrentOwner =>
        (uint)ProcessLiveness.CurrentPid | ((long)(uint)Internal.Segment.CurrentStartTime << 32);

    public void Dispose() => _pidfd?.Dispose();
}
