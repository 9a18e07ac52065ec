using System.Text;
using Multiprocessing.Internal;

namespace Multiprocessing.Processes;

/// <summary>
/// A worker's status segment: the parent writes the spec and publishes it before starting the child; the child
/// records how it ended (the exit code it chose, or its exception) before exiting. One per worker, created and
/// unlinked by the parent.
/// </summary>
internal sealed unsafe class WorkerStatusBlock : IDisposable
{
    private const int LayoutVersion = 1;
    private const int ResultCapacity = 64 * 1024;

    private readonly Segment _segment;

    private WorkerStatusBlock(Segment segment) => _segment = segment;

    internal string Name => _segment.Name;

    internal WorkerStatusHeader* Header => (WorkerStatusHeader*)_segment.Data;

    internal static WorkerStatusBlock Create(byte[] spec)
    {
        Segment s = Segment.Create(SegmentNames.NewAnonymous("worker"), SegmentKind.WorkerStatus, LayoutVersion, WorkerStatusHeader.Size + spec.Length + ResultCapacity);
        WorkerStatusBlock block = new(s);
        block.Header->SpecLength = spec.Length;
        block.Header->ResultCapacity = ResultCapacity;
        spec.CopyTo(new Span<byte>(s.Data + WorkerStatusHeader.Size, spec.Length));
        s.Publish();
        return block;
    }

    /// <summary>Creates an empty block for a warm standby child; the spec is written later with <see cref="WriteSpec"/>.</summary>
    internal static WorkerStatusBlock CreateStandby(int specCapacity)
    {
        Segment s = Segment.Create(SegmentNames.NewAnonymous("worker"), SegmentKind.WorkerStatus, LayoutVersion, WorkerStatusHeader.Size + specCapacity + ResultCapacity);
        WorkerStatusBlock block = new(s);
        block.Header->ResultCapacity = ResultCapacity;
        block.Header->ParentPid = Interop.ProcessLiveness.CurrentPid;
        block.Header->ParentStartTime = Segment.CurrentStartTime;
        s.Publish();
        return block;
    }

    internal static WorkerStatusBlock Open(string name) => new(Segment.Open(name, SegmentKind.WorkerStatus, LayoutVersion));

    internal int SpecCapacity => (int)_segment.DataLength - WorkerStatusHeader.Size - Header->ResultCapacity;

    internal ReadOnlySpan<byte> Spec => new(_segment.Data + WorkerStatusHeader.Size, Header->SpecLength);

    /// <summary>Writes the spec into a standby block (the caller then sets <see cref="WorkerStatusHeader.Go"/>).</summary>
    internal void WriteSpec(byte[] spec)
    {
        spec.CopyTo(new Span<byte>(_segment.Data + WorkerStatusHeader.Size, SpecCapacity));
        Header->SpecLength = spec.Length;
    }

    private Span<byte> ResultArea => new(_segment.Data + WorkerStatusHeader.Size + SpecCapacity, Header->ResultCapacity);

    internal int State => Volatile.Read(ref Header->State);

    /// <summary>Publishes a new state; every field written before is visible to a reader that sees it.</summary>
    internal void SetState(int state) => Volatile.Write(ref Header->State, state);

    /// <summary>Standby child: publishes "ready", wakes a parent waiting for it, and sleeps until the parent sets Go.</summary>
    internal void AnnounceStandbyAndWait()
    {
        _ = Interlocked.Exchange(ref Header->State, WorkerStatusHeader.StateStandby);
        FutexWait.Wake(&Header->State, &Header->StateWaiters, int.MaxValue);
        while (Volatile.Read(ref Header->Go) == 0)
        {
            _ = FutexWait.WaitWhileEqual(&Header->Go, 0, &Header->GoWaiters, Deadline.Infinite, CancellationToken.None);
        }
    }

    /// <summary>Parent: waits until the standby child is ready (or <paramref name="deadline"/>); false on timeout.</summary>
    internal bool WaitForStandby(Deadline deadline)
    {
        int state;
        while ((state = Volatile.Read(ref Header->State)) == WorkerStatusHeader.StateCreated)
        {
            if (!FutexWait.WaitWhileEqual(&Header->State, state, &Header->StateWaiters, deadline, CancellationToken.None) && deadline.HasPassed)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Parent: hands the spec to the standby child and wakes it.</summary>
    internal void Go(byte[] spec)
    {
        WriteSpec(spec);
        _ = Interlocked.Exchange(ref Header->Go, 1);
        FutexWait.Wake(&Header->Go, &Header->GoWaiters, 1);
    }

    /// <summary>Moves from Running to <paramref name="state"/> only; false if another path already recorded the end.</summary>
    internal bool TryFinish(int state, int exitCode, int signal = 0)
    {
        if (Volatile.Read(ref Header->State) != WorkerStatusHeader.StateRunning)
        {
            return false;
        }

        Header->ExitCode = exitCode;
        Header->Signal = signal;
        return Interlocked.CompareExchange(ref Header->State, state, WorkerStatusHeader.StateRunning) == WorkerStatusHeader.StateRunning;
    }

    /// <summary>Records the exception's type, message and stack (truncated to the result area), then the Failed state.</summary>
    internal void RecordFailure(Exception e, int exitCode)
    {
        using MemoryStream ms = new();
        using (BinaryWriter w = new(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Truncate(e.GetType().FullName ?? e.GetType().Name, 1024));
            w.Write(Truncate(e.Message, 16 * 1024));
            w.Write(Truncate(StackText(e), 40 * 1024));
        }

        byte[] bytes = ms.ToArray();
        if (bytes.Length <= Header->ResultCapacity)
        {
            bytes.CopyTo(ResultArea);
            Header->ResultLength = bytes.Length;
        }

        _ = TryFinish(WorkerStatusHeader.StateFailed, exitCode);
    }

    /// <summary>The recorded failure (type, message, stack), or null.</summary>
    internal (string Type, string Message, string Stack)? ReadFailure()
    {
        if (State != WorkerStatusHeader.StateFailed || Header->ResultLength <= 0)
        {
            return null;
        }

        using MemoryStream ms = new(ResultArea[..Header->ResultLength].ToArray());
        using BinaryReader r = new(ms, Encoding.UTF8);
        return (r.ReadString(), r.ReadString(), r.ReadString());
    }

    internal void Unlink() => _segment.Unlink();

    public void Dispose() => _segment.Dispose();

    private static string StackText(Exception e)
    {
        StringBuilder sb = new(e.StackTrace ?? "");
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            sb.AppendLine().Append("---> ").Append(inner.GetType().FullName).Append(": ").AppendLine(inner.Message).Append(inner.StackTrace);
        }

        return sb.ToString();
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max] + "…";
}
