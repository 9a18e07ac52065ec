using System.Globalization;

namespace Multiprocessing.Interop;

/// <summary>Answers "is this process still running?" for pids recorded in shared memory.</summary>
internal static class ProcessLiveness
{
    /// <summary>
    /// True if <paramref name="pid"/> runs and is not a zombie. <c>kill(pid, 0)</c> alone says "alive" for a zombie,
    /// and a killed child stays a zombie until its parent reaps it, so the state letter in /proc/pid/stat is checked too.
    /// </summary>
    internal static bool IsAlive(int pid)
    {
        if (pid <= 0)
        {
            return false;
        }

        if (Libc.Kill(pid, 0) != 0 && Errno.Last == Libc.ESRCH)
        {
            return false;
        }

        string? stat = ReadStat(pid);
        if (stat is null)
        {
            return false;
        }

        // Format: "pid (comm) S ..."; comm may contain spaces or parentheses, so search from the last ')'.
        int close = stat.LastIndexOf(')');
        return close < 0 || close + 2 >= stat.Length || (stat[close + 2] != 'Z' && stat[close + 2] != 'X');
    }

    /// <summary>The process's start time in clock ticks since boot (field 22 of /proc/pid/stat), or 0 if it is gone.</summary>
    internal static ulong StartTime(int pid)
    {
        string? stat = ReadStat(pid);
        if (stat is null)
        {
            return 0;
        }

        int close = stat.LastIndexOf(')');
        string[] fields = stat[(close + 2)..].Split(' ');
        // fields[0] is field 3 (state), so field 22 is fields[19].
        return fields.Length > 19 && ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out ulong t) ? t : 0;
    }

    /// <summary>True if the process that has <paramref name="pid"/> now is the one that started at <paramref name="startTime"/> and is alive.</summary>
    internal static bool IsSameAndAlive(int pid, ulong startTime) =>
        IsAlive(pid) && (startTime == 0 || StartTime(pid) == startTime);

    private static string? ReadStat(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false if the process no longer exists.</summary>
    internal static bool Signal(int pid, int signal) => Libc.Kill(pid, signal) == 0;

    /// <summary>Asks the kernel to send SIGKILL to this process when its parent thread exits.</summary>
    internal static void DieWithParent() => Libc.Prctl(Libc.PR_SET_PDEATHSIG, Libc.SIGKILL, 0, 0, 0);

    internal static int CurrentPid => Libc.GetPid();

    internal static int ParentPid => Libc.GetPPid();

    internal static int CurrentTid => Libc.GetTid();
}
