// Not "Multiprocessing.Tests.Interop": that namespace would hide Multiprocessing.Interop from "Interop.Futex" in other tests.
namespace Multiprocessing.Tests.InteropLayout;

/// <summary>
/// A fact that is skipped, with a message saying what to install, when a program it needs (gcc, python3) is not on
/// PATH. xunit 2 has no runtime skip, so the check runs when the test is discovered.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FactRequiringProgramAttribute : FactAttribute
{
    /// <summary>Skips the test unless <paramref name="program"/> is on PATH.</summary>
    public FactRequiringProgramAttribute(string program)
    {
        Program = program;
        if (Find(program) is null)
        {
            Skip = $"{program} is not on PATH; install it (e.g. apt-get install -y {program}) to run this test.";
        }
    }

    /// <summary>The program the test needs.</summary>
    public string Program { get; }

    /// <summary>The full path of <paramref name="program"/> on PATH, or null.</summary>
    public static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, program))
        .FirstOrDefault(File.Exists);
}
