using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Multiprocessing.Interop;

// Not "Multiprocessing.Tests.Interop": that namespace would hide Multiprocessing.Interop from "Interop.Futex" in other tests.
namespace Multiprocessing.Tests.InteropLayout;

/// <summary>
/// The constants and struct layouts in src/Multiprocessing/Interop against the C headers: a small C program is
/// compiled with gcc at test time and prints what the headers say. Every C-style integer constant declared in
/// Interop (O_RDWR, SYS_futex, EINTR…) must be a macro of the same name with the same value.
/// </summary>
public sealed partial class LayoutTests
{
    private static readonly Lazy<Dictionary<string, long>> Header = new(CompileAndRun);

    /// <summary>Our struct, its C struct, and each of our fields with its C member name.</summary>
    private static readonly (Type Ours, string C, (string Field, string Member)[] Fields)[] Structs =
    [
        (typeof(Futex.Timespec), "struct timespec", [("Seconds", "tv_sec"), ("Nanoseconds", "tv_nsec")]),
        (typeof(Futex.FutexWaitv), "struct futex_waitv", [("Val", "val"), ("Uaddr", "uaddr"), ("Flags", "flags"), ("Reserved", "__reserved")]),
        (typeof(Libc.PollFd), "struct pollfd", [("Fd", "fd"), ("Events", "events"), ("REvents", "revents")]),
    ];

    [FactRequiringProgram("gcc")]
    public void Every_interop_constant_equals_the_C_macro_of_the_same_name()
    {
        List<(string Owner, string Name, long Value)> constants = InteropConstants();
        Assert.Contains(constants, c => c.Name == "SYS_futex_waitv");
        Assert.Contains(constants, c => c.Name == "PR_SET_PDEATHSIG");

        var problems = new List<string>();
        foreach ((string owner, string name, long value) in constants)
        {
            if (!Header.Value.TryGetValue(name, out long expected))
            {
                problems.Add($"{owner}.{name} = {value}: the C headers have no macro named {name} (fix the name, or check it in LayoutTests by hand)");
            }
            else if (expected != value)
            {
                problems.Add($"{owner}.{name} = {value}, but the C headers say {expected}");
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [FactRequiringProgram("gcc")]
    public void MAP_FAILED_is_minus_one_as_in_the_headers()
    {
        Assert.Equal(Header.Value["MAP_FAILED"], (long)Libc.MAP_FAILED);
    }

    [FactRequiringProgram("gcc")]
    public void Our_structs_have_the_size_and_field_offsets_of_the_C_structs()
    {
        var problems = new List<string>();
        foreach ((Type ours, string c, (string Field, string Member)[] fields) in Structs)
        {
            long cSize = Header.Value[$"sizeof {c}"];
            Check(problems, $"Marshal.SizeOf({ours.Name}) vs sizeof({c})", Marshal.SizeOf(ours), cSize);
            Check(problems, $"sizeof({ours.Name}) vs sizeof({c})", UnmanagedSize(ours), cSize);
            Assert.Equal(fields.Length, ours.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Length);
            foreach ((string field, string member) in fields)
            {
                Check(problems, $"offset of {ours.Name}.{field} vs offsetof({c}, {member})",
                    (long)Marshal.OffsetOf(ours, field), Header.Value[$"offsetof {c}.{member}"]);
                Type fieldType = ours.GetField(field, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)!.FieldType;
                Check(problems, $"size of {ours.Name}.{field} vs {c}.{member}",
                    Marshal.SizeOf(fieldType), Header.Value[$"sizeof {c}.{member}"]);
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    private static void Check(List<string> problems, string what, long ours, long c)
    {
        if (ours != c)
        {
            problems.Add($"{what}: ours is {ours}, C says {c}");
        }
    }

    private static int UnmanagedSize(Type t) =>
        (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(t).Invoke(null, null)!;

    /// <summary>Every integer constant with a C-style name (O_RDWR, EINTR, SYS_futex) in Multiprocessing.Interop.</summary>
    private static List<(string Owner, string Name, long Value)> InteropConstants() =>
        typeof(Libc).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(Libc).Namespace)
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
                .Where(f => f.IsLiteral && CStyleName().IsMatch(f.Name) && f.GetRawConstantValue() is not (string or bool or char or float or double))
                .Select(f => (t.Name, f.Name, Convert.ToInt64(f.GetRawConstantValue(), CultureInfo.InvariantCulture))))
            .ToList();

    [GeneratedRegex("^(SYS_[a-z0-9_]+|[A-Z][A-Z0-9_]*)$")]
    private static partial Regex CStyleName();

    /// <summary>Generates the C program (one #ifdef per constant name), compiles it with gcc, runs it, parses "key value" lines.</summary>
    private static Dictionary<string, long> CompileAndRun()
    {
        var c = new StringBuilder("""
            #define _GNU_SOURCE
            #include <errno.h>
            #include <fcntl.h>
            #include <poll.h>
            #include <signal.h>
            #include <stddef.h>
            #include <stdint.h>
            #include <stdio.h>
            #include <sys/mman.h>
            #include <sys/prctl.h>
            #include <sys/syscall.h>
            #include <sys/wait.h>
            #include <time.h>
            #include <unistd.h>
            #include <linux/futex.h>

            #define CONST(name, x) printf("%s %lld\n", name, (long long)(x));
            #define SIZE(t) printf("sizeof %s %zu\n", #t, sizeof(t));
            #define MEMBER(t, m) printf("offsetof %s.%s %zu\nsizeof %s.%s %zu\n", #t, #m, offsetof(t, m), #t, #m, sizeof(((t *)0)->m));

            int main(void)
            {
                CONST("MAP_FAILED", (intptr_t)MAP_FAILED)

            """);
        foreach (string name in InteropConstants().Select(x => x.Name).Distinct())
        {
            c.Append(CultureInfo.InvariantCulture, $"#if defined({name})\n    CONST(\"{name}\", {name})\n");
            if (name.StartsWith("SYS_", StringComparison.Ordinal))
            {
                // Older glibc lacks SYS_ aliases for new system calls; the kernel's __NR_ numbers are the same thing.
                string nr = "__NR_" + name[4..];
                c.Append(CultureInfo.InvariantCulture, $"#elif defined({nr})\n    CONST(\"{name}\", {nr})\n");
            }

            c.Append("#endif\n");
        }

        foreach ((_, string cStruct, (string Field, string Member)[] fields) in Structs)
        {
            c.Append(CultureInfo.InvariantCulture, $"    SIZE({cStruct})\n");
            foreach ((_, string member) in fields)
            {
                c.Append(CultureInfo.InvariantCulture, $"    MEMBER({cStruct}, {member})\n");
            }
        }

        c.Append("    return 0;\n}\n");

        string dir = Directory.CreateTempSubdirectory("mp-layout-").FullName;
        try
        {
            string source = Path.Combine(dir, "layout.c");
            string exe = Path.Combine(dir, "layout");
            File.WriteAllText(source, c.ToString());
            (int rc, string output, string errors) = Run(FactRequiringProgramAttribute.Find("gcc")!, "-Wall", "-o", exe, source);
            Assert.True(rc == 0, $"gcc could not compile the layout probe (are libc6-dev and linux-libc-dev installed?):{Environment.NewLine}{errors}{output}");
            (rc, output, errors) = Run(exe);
            Assert.True(rc == 0, $"The layout probe exited with {rc}: {errors}");
            var values = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                int space = line.LastIndexOf(' ');
                values[line[..space]] = long.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
            }

            return values;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (int ExitCode, string Output, string Errors) Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        using Process p = Process.Start(info)!;
        Task<string> errors = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(60_000))
        {
            p.Kill();
            Assert.Fail($"{program} did not finish within 60 s.");
        }

        return (p.ExitCode, output, errors.Result);
    }
}
