using System.Runtime.InteropServices;

namespace Multiprocessing.Interop;

/// <summary>The one place where an errno becomes an exception.</summary>
internal static class Errno
{
    internal static int Last => Marshal.GetLastPInvokeError();

    /// <summary>Builds the exception for <paramref name="errno"/> raised while doing <paramref name="what"/> to <paramref name="objectName"/>.</summary>
    internal static Exception ToException(int errno, string what, string objectName)
    {
        string detail = Marshal.GetPInvokeErrorMessage(errno);
        return errno switch
        {
            Libc.ENOENT => new FileNotFoundException(
                $"The shared object '{objectName}' does not exist ({what}: {detail}). Check the name, and that its creator is still running.", objectName),
            Libc.EEXIST => new IOException(
                $"A shared object named '{objectName}' already exists ({what}). Pick another name, or Open it instead of creating it.", errno),
            Libc.EACCES or Libc.EPERM => new UnauthorizedAccessException(
                $"Access to the shared object '{objectName}' was denied ({what}: {detail}). Segments are created with mode 0600: open it as the user who created it."),
            Libc.ENOSPC => new IOException(
                $"Out of shared memory while {what} '{objectName}' ({detail}). Free space in /dev/shm or ask for a smaller size.", errno),
            _ => new IOException($"{what} '{objectName}' failed: {detail} (errno {errno}).", errno),
        };
    }

    internal static Exception FromLast(string what, string objectName) => ToException(Marshal.GetLastPInvokeError(), what, objectName);
}
