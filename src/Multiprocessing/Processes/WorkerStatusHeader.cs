using System.Runtime.InteropServices;

namespace Multiprocessing.Processes;

/// <summary>
/// The first 64 bytes of a worker's status segment (after the segment header). The parent writes the spec after it
/// and publishes the segment before starting the child; the child records how it ended, so the parent can tell a
/// chosen exit code from a death by signal. <see cref="State"/> is always the last field written, with a release store.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct WorkerStatusHeader
{
    internal const int Size = 64;

    /// <summary>The parent wrote the spec; the child has not started yet (or died before reading it).</summary>
    internal const int StateCreated = 0;

    /// <summary>The child read the spec and runs the target.</summary>
    internal const int StateRunning = 1;

    /// <summary>The target returned; <see cref="ExitCode"/> is what the child exits with.</summary>
    internal const int StateReturned = 2;

    /// <summary>The target threw; the result area holds the exception's type, message and stack.</summary>
    internal const int StateFailed = 3;

    /// <summary>The process exited through Environment.Exit (or returned from a path we did not see); the exit code is its own.</summary>
    internal const int StateExited = 4;

    /// <summary>The runtime received a termination signal (<see cref="Signal"/>) and is shutting down because of it.</summary>
    internal const int StateSignaled = 5;

    /// <summary>A standby child is initialised and waits on <see cref="Go"/> for a spec.</summary>
    internal const int StateStandby = 6;

    [FieldOffset(0)] internal int State;
    [FieldOffset(4)] internal int ExitCode;
    [FieldOffset(8)] internal int Signal;
    [FieldOffset(12)] internal int SpecLength;
    [FieldOffset(16)] internal int ResultLength;
    [FieldOffset(20)] internal int ResultCapacity;
    [FieldOffset(24)] internal int ChildPid;

    /// <summary>A futex word for a warm standby child: 0 while it waits for a spec, 1 once the parent has written one.</summary>
    [FieldOffset(28)] internal int Go;

    /// <summary>How many processes sleep on <see cref="Go"/>.</summary>
    [FieldOffset(32)] internal int GoWaiters;

    /// <summary>How many processes sleep on <see cref="State"/> (a parent waiting for a standby to be ready).</summary>
    [FieldOffset(36)] internal int StateWaiters;

    /// <summary>The parent, for a standby child that must die with it before it knows its spec.</summary>
    [FieldOffset(40)] internal int ParentPid;

    [FieldOffset(48)] internal ulong ParentStartTime;
}
