using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Multiprocessing.Processes;

/// <summary>
/// Builds the command line that starts a worker: <c>dotnet exec --runtimeconfig app.runtimeconfig.json --depsfile
/// app.deps.json Multiprocessing.WorkerHost.dll</c>. Using the app's own runtimeconfig and deps file gives the worker
/// the same framework and the same assemblies as the parent, whether the parent runs under <c>dotnet run</c>, an
/// apphost, <c>dotnet app.dll</c> or <c>dotnet test</c> (where "start myself again" would start testhost).
/// </summary>
internal static class WorkerLauncher
{
    internal const string EnvironmentVariable = "MULTIPROCESSING_WORKER";
    private const string ResourceName = "Multiprocessing.WorkerHost.dll";

    private static readonly Lazy<(string Muxer, string[] Arguments)> s_command = new(BuildCommand);

    /// <summary>The start info for a worker that reads its spec from the status segment named <paramref name="statusName"/>.</summary>
    internal static ProcessStartInfo CreateStartInfo(string statusName)
    {
        (string muxer, string[] arguments) = s_command.Value;
        ProcessStartInfo psi = new(muxer, arguments) { UseShellExecute = false };
        psi.Environment[EnvironmentVariable] = statusName;
        return psi;
    }

    private static (string, string[]) BuildCommand()
    {
        string? deps = AppDepsFile();
        string? runtimeConfig = deps is null ? null : deps[..^".deps.json".Length] + ".runtimeconfig.json";
        if (deps is not null && File.Exists(runtimeConfig) && RuntimeFeature.IsDynamicCodeSupported)
        {
            return (Muxer(), ["exec", "--runtimeconfig", runtimeConfig, "--depsfile", deps, HostDll()]);
        }

        // No deps/runtimeconfig (single-file, Native AOT): start this executable again; its Main must begin with
        // WorkerProcess.RunWorkerIfRequested().
        string self = Environment.ProcessPath
            ?? throw new InvalidOperationException("Cannot start a worker: this process has neither a deps.json file nor a known executable path.");
        return (self, []);
    }

    /// <summary>The application's deps file: the first entry of APP_CONTEXT_DEPS_FILES (the others are frameworks'), or null.</summary>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An empty location (single-file app) means no deps file: the app's own executable is started instead.")]
    private static string? AppDepsFile()
    {
        string? all = AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string;
        string? first = all?.Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (first is not null && File.Exists(first))
        {
            return Path.GetFullPath(first);
        }

        string? entry = Assembly.GetEntryAssembly()?.Location;
        string guess = string.IsNullOrEmpty(entry) ? "" : Path.ChangeExtension(entry, null) + ".deps.json";
        return File.Exists(guess) ? guess : null;
    }

    /// <summary>The <c>dotnet</c> muxer of the runtime this process runs on.</summary>
    private static string Muxer()
    {
        // .../dotnet/shared/Microsoft.NETCore.App/<version>/ -> .../dotnet/dotnet
        string runtimeDir = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd('/');
        string? root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(runtimeDir)));
        foreach (string? candidate in new[]
                 {
                     root is null ? null : Path.Combine(root, "dotnet"),
                     Path.GetFileName(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath : null,
                     Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } r ? Path.Combine(r, "dotnet") : null,
                 })
        {
            if (candidate is not null && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return "dotnet";
    }

    /// <summary>Extracts the embedded worker host once, into a cache folder named after its hash.</summary>
    private static string HostDll()
    {
        using Stream resource = typeof(WorkerLauncher).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException("Multiprocessing.dll was built without its embedded worker host; rebuild the library.");
        byte[] bytes = new byte[resource.Length];
        resource.ReadExactly(bytes);
        string hash = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
        try
        {
            return Extract(Path.Combine(CacheRoot(), "workerhost-" + hash), bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only home folder: fall back to the temp folder, per user.
            return Extract(Path.Combine(Path.GetTempPath(), $"multiprocessing-dotnet-{Environment.UserName}", "workerhost-" + hash), bytes);
        }
    }

    private static string Extract(string dir, byte[] bytes)
    {
        string path = Path.Combine(dir, ResourceName);
        if (File.Exists(path) && new FileInfo(path).Length == bytes.Length)
        {
            return path;
        }

        Directory.CreateDirectory(dir);
        string temp = path + "." + Environment.ProcessId + ".tmp";
        File.WriteAllBytes(temp, bytes);
        try
        {
            // Atomic publish: a concurrent extraction by another process writes identical bytes.
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException)
        {
            File.Delete(temp);
        }

        return path;
    }

    private static string CacheRoot()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string root = !string.IsNullOrEmpty(xdg) ? xdg : !string.IsNullOrEmpty(home) ? Path.Combine(home, ".cache") : Path.GetTempPath();
        return Path.Combine(root, "multiprocessing-dotnet");
    }
}
