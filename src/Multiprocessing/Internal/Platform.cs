namespace Multiprocessing.Internal;

/// <summary>The one check that keeps the Linux backend from running elsewhere.</summary>
internal static class Platform
{
    internal static void ThrowIfUnsupported()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException(
                "Multiprocessing needs Linux for now (shared memory and futexes); Windows and macOS backends are planned.");
        }
    }
}
