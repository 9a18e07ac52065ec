using System.Runtime.InteropServices;
using Multiprocessing.Interop;

namespace Multiprocessing.Internal;

/// <summary>
/// Removes segments whose creator died (for example by SIGKILL) and that no live process maps any more. Runs once in
/// the background the first time a process creates a segment, and on demand through <see cref="Sweep"/>.
/// </summary>
internal static class SegmentSweeper
{
    private static int s_started;

    internal static void SweepOnceInBackground()
    {
        if (Interlocked.Exchange(ref s_started, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static _ => Sweep(), null);
        }
    }

    /// <summary>Sweeps /dev/shm now and returns the names removed.</summary>
    internal static IReadOnlyList<string> Sweep()
    {
        List<string> removed = [];
        try
        {
            HashSet<string>? mapped = null;
            foreach (string path in Directory.EnumerateFiles("/dev/shm", SegmentNames.Prefix + "*"))
            {
                string name = Path.GetFileName(path)[SegmentNames.Prefix.Length..];
                if (!TryReadHeader(path, out SegmentHeader header) || header.Magic != SegmentHeader.MagicValue)
                {
                    continue;
                }

                if (ProcessLiveness.IsSameAndAlive(header.CreatorPid, header.CreatorStartTime))
                {
                    continue;
                }

                mapped ??= MappedShmFiles();
                if (!mapped.Contains(Path.GetFileName(path)))
                {
                    _ = Libc.ShmUnlink(SegmentNames.ToShmName(name));
                    removed.Add(name);
                }
            }
        }
        catch (IOException)
        {
            // A sweep is best effort: a racing unlink or an unreadable /proc entry must never fail the caller.
        }
        catch (UnauthorizedAccessException)
        {
        }

        return removed;
    }

    private static unsafe bool TryReadHeader(string path, out SegmentHeader header)
    {
        header = default;
        try
        {
            using FileStream fs = new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            Span<byte> buffer = stackalloc byte[SegmentHeader.Size];
            if (fs.ReadAtLeast(buffer, SegmentHeader.Size, throwOnEndOfStream: false) < SegmentHeader.Size)
            {
                return false;
            }

            header = MemoryMarshal.Read<SegmentHeader>(buffer);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The /dev/shm file names mapped by any process we can see, read from /proc/*/maps.</summary>
    private static HashSet<string> MappedShmFiles()
    {
        HashSet<string> names = new(StringComparer.Ordinal);
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            string pid = Path.GetFileName(dir);
            if (pid.Length == 0 || !char.IsAsciiDigit(pid[0]))
            {
                continue;
            }

            try
            {
                foreach (string line in File.ReadLines(Path.Combine(dir, "maps")))
                {
                    int at = line.IndexOf("/dev/shm/" + SegmentNames.Prefix, StringComparison.Ordinal);
                    if (at >= 0)
                    {
                        string file = line[(at + "/dev/shm/".Length)..];
                        names.Add(file.EndsWith(" (deleted)", StringComparison.Ordinal) ? file[..^10] : file);
                    }
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return names;
    }
}
