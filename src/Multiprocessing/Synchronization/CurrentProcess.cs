using Multiprocessing.Interop;

namespace Multiprocessing;

/// <summary>This process's id, read once: lock words hold it, and .NET processes never fork, so it cannot change.</summary>
internal static class CurrentProcess
{
    internal static readonly int Id = ProcessLiveness.CurrentPid;
}
