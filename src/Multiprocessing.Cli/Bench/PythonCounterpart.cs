using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Multiprocessing.Cli.Bench;

/// <summary>Runs benchmarks/python/mp_counterpart.py (the CPython side of <c>--vs-python</c>) and reads its JSON lines.</summary>
internal static class PythonCounterpart
{
    private const string ScriptName = "mp_counterpart.py";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(20);

    /// <summary>The interpreter: $MULTIPROCESSING_BENCH_PYTHON, else python3 on PATH.</summary>
    internal static string Interpreter =>
        Environment.GetEnvironmentVariable("MULTIPROCESSING_BENCH_PYTHON") is { Length: > 0 } p ? p : "python3";

    /// <summary>
    /// The script: next to this program (the build copies it to python/), else benchmarks/python/ in a parent
    /// directory of this program or of the working directory (a clone run with <c>dotnet run</c>).
    /// </summary>
    internal static string? FindScript()
    {
        string besideUs = Path.Combine(AppContext.BaseDirectory, "python", ScriptName);
        if (File.Exists(besideUs))
        {
            return besideUs;
        }

        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "benchmarks", "python", ScriptName);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Runs the counterpart case named exactly <paramref name="caseName"/>; calls <paramref name="onLine"/> with each
    /// JSON line as it arrives (result or error lines). Failures to run at all come back as one error line.
    /// </summary>
    internal static void Run(string caseName, Action<JsonObject> onLine)
    {
        ArgumentNullException.ThrowIfNull(onLine);
        string? script = FindScript();
        if (script is null)
        {
            onLine(ErrorLine(caseName, $"FileNotFoundException: {ScriptName} was not found beside the program or under benchmarks/python/; run from a clone of the repository."));
            return;
        }

        var info = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add("--exact");
        info.ArgumentList.Add(caseName);

        Process? process;
        try
        {
            process = Process.Start(info);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            onLine(ErrorLine(caseName, $"Win32Exception: could not start '{Interpreter}' ({e.Message}); put CPython 3 on PATH as python3 or set MULTIPROCESSING_BENCH_PYTHON."));
            return;
        }

        if (process is null)
        {
            onLine(ErrorLine(caseName, $"InvalidOperationException: '{Interpreter}' did not start."));
            return;
        }

        using (process)
        {
            using var watchdog = new Timer(_ => Kill(process), null, Timeout, System.Threading.Timeout.InfiniteTimeSpan);
            string? text;
            while ((text = process.StandardOutput.ReadLine()) is not null)
            {
                if (Parse(text) is JsonObject line)
                {
                    onLine(line);
                }
            }

            process.WaitForExit();
            if (process.ExitCode != 0 && process.ExitCode != 1) // 1: some case failed, already reported in a line
            {
                onLine(ErrorLine(caseName, $"InvalidOperationException: {Interpreter} {ScriptName} exited with code {process.ExitCode}."));
            }
        }
    }

    /// <summary>One line of the script's output as a JSON object, or null if it is not one.</summary>
    internal static JsonObject? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.TrimStart().StartsWith('{'))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonObject ErrorLine(string name, string error) => new() { ["name"] = name, ["error"] = error };

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
    }
}
