namespace Multiprocessing.Internal;

/// <summary>
/// The names this process created and has not unlinked. When the process exits normally they are unlinked, so a
/// creator that forgets to dispose does not leak /dev/shm; a creator killed with SIGKILL is covered by
/// <see cref="SegmentSweeper"/> instead.
/// </summary>
internal static class CreatedSegments
{
    private static readonly HashSet<string> s_names = new(StringComparer.Ordinal);
    private static bool s_hooked;

    internal static void Add(string name)
    {
        lock (s_names)
        {
            s_names.Add(name);
            if (!s_hooked)
            {
                s_hooked = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => UnlinkAll();
            }
        }
    }

    internal static void Remove(string name)
    {
        lock (s_names)
        {
            s_names.Remove(name);
        }
    }

    internal static void UnlinkAll()
    {
        string[] names;
        lock (s_names)
        {
            names = [.. s_names];
        }

        foreach (string name in names)
        {
            Segment.UnlinkName(name);
        }
    }
}
