using System.Security.Cryptography;
using Multiprocessing.Interop;

namespace Multiprocessing.Internal;

/// <summary>Validates user names and makes names for anonymous objects.</summary>
internal static class SegmentNames
{
    /// <summary>Every segment of this library lives in /dev/shm under this prefix, so a sweep reads only ours.</summary>
    internal const string Prefix = "mp.";

    internal const int MaxLength = 200;

    private static long s_counter;

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="name"/> is 1–200 letters, digits, '.', '_' or '-', without "..".</summary>
    internal static void Validate(string name, string paramName = "name")
    {
        ArgumentNullException.ThrowIfNull(name, paramName);
        bool ok = name.Length is > 0 and <= MaxLength && !name.Contains("..", StringComparison.Ordinal) && name != ".";
        foreach (char c in name)
        {
            ok &= char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';
        }

        if (!ok)
        {
            string shown = name.Length > 40 ? name[..40] + "…" : name;
            throw new ArgumentException(
                $"'{shown}' ({name.Length} characters) is not a valid shared object name: use 1 to {MaxLength} ASCII letters, digits, '.', '_' or '-', with no '/' and no '..'.",
                paramName);
        }
    }

    /// <summary>The path given to shm_open for a validated user name.</summary>
    internal static string ToShmName(string name) => "/" + Prefix + name;

    /// <summary>A fresh name for an anonymous object: "anon-pid-counter-random".</summary>
    internal static string NewAnonymous(string what) =>
        $"{what}-{ProcessLiveness.CurrentPid}-{Interlocked.Increment(ref s_counter)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
}
