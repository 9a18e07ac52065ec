using System.Reflection;
using System.Runtime.InteropServices;
using Multiprocessing.Interop;

namespace Multiprocessing.Processes;

/// <summary>
/// The worker side: reads the spec from the status segment named in the environment, runs the target, and records
/// how it ended. Entered from Multiprocessing.WorkerHost (by reflection), or from an app's own Main through
/// <see cref="WorkerProcess.RunWorkerIfRequested"/>.
/// </summary>
internal static class WorkerBootstrap
{
    /// <summary>The worker host's entry point; the name and signature are looked up by Multiprocessing.WorkerHost.</summary>
    internal static int Main(string[] args)
    {
        _ = args;
        string? statusName = Environment.GetEnvironmentVariable(WorkerLauncher.EnvironmentVariable);
        if (string.IsNullOrEmpty(statusName))
        {
            Console.Error.WriteLine($"Multiprocessing.WorkerHost runs worker processes started by WorkerProcess.Start(); {WorkerLauncher.EnvironmentVariable} is not set, so there is nothing to run.");
            return 2;
        }

        return Run(statusName);
    }

    internal static unsafe int Run(string statusName)
    {
        // The worker's own children must not think they are this worker.
        Environment.SetEnvironmentVariable(WorkerLauncher.EnvironmentVariable, null);
        WorkerStatusBlock status = WorkerStatusBlock.Open(statusName);
        status.Header->ChildPid = ProcessLiveness.CurrentPid;

        // Both only record an ending once the state is Running, so they are harmless while a standby waits.
        // Environment.Exit inside the target: the exit code is the target's own choice, not a signal.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => status.TryFinish(WorkerStatusHeader.StateExited, Environment.ExitCode);
        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => status.TryFinish(WorkerStatusHeader.StateSignaled, 128 + Libc.SIGTERM, Libc.SIGTERM));
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => status.TryFinish(WorkerStatusHeader.StateSignaled, 128 + 2, 2));
        string name = "worker";
        bool quickExit = false;
        try
        {
            bool standby = status.Header->SpecLength == 0;
            if (standby)
            {
                // Started ahead of time: die with the parent until told otherwise, warm up the start path, then wait.
                DaemonWatcher.Arm(status.Header->ParentPid, status.Header->ParentStartTime);
                Prewarm();
                status.AnnounceStandbyAndWait();
            }

            WorkerSpec spec = WorkerSpec.Decode(status.Spec);
            name = spec.Name;
            status.SetState(WorkerStatusHeader.StateRunning);
            if (spec.Daemon && !standby)
            {
                DaemonWatcher.Arm(spec.ParentPid, spec.ParentStartTime);
            }
            else if (!spec.Daemon && standby)
            {
                DaemonWatcher.Disarm();
            }

            quickExit = spec.QuickExit;
            int code = RunTarget(spec);
            // The parent reads this instead of the process status, so record what the kernel will report: the low 8 bits.
            _ = status.TryFinish(WorkerStatusHeader.StateReturned, code & 0xFF);
            ExitNowIf(quickExit, code);
            return code;
        }
        catch (Exception e)
        {
            // Like Python, the worker prints its traceback; the parent gets the same text through Failure.
            Console.Out.Flush();
            Console.Error.WriteLine($"Process {name} (pid {ProcessLiveness.CurrentPid}) failed:{Environment.NewLine}{e}");
            if (status.State != WorkerStatusHeader.StateRunning)
            {
                status.SetState(WorkerStatusHeader.StateRunning);
            }

            status.RecordFailure(e, 1);
            ExitNowIf(quickExit, 1);
            return 1;
        }
    }

    /// <summary>
    /// WorkerProcess.QuickExit: like a forked CPython child's os._exit, skip the runtime's shutdown (ProcessExit
    /// handlers) once the outcome is recorded; flush the console and remove the names this worker created first.
    /// </summary>
    private static void ExitNowIf(bool quickExit, int code)
    {
        if (!quickExit)
        {
            return;
        }

        Console.Out.Flush();
        Console.Error.Flush();
        Internal.CreatedSegments.UnlinkAll();
        Libc.UnderscoreExit(code);
    }

    /// <summary>Records <paramref name="e"/> as the outcome of the worker whose status block is <paramref name="statusName"/>.</summary>
    internal static void ReportMisstart(string statusName, Exception e)
    {
        try
        {
            using WorkerStatusBlock status = WorkerStatusBlock.Open(statusName);
            status.SetState(WorkerStatusHeader.StateRunning);
            status.RecordFailure(e, 1);
        }
        catch (IOException)
        {
            // Best effort: the parent still sees the process die.
        }
        catch (InvalidDataException)
        {
        }
    }

    /// <summary>Runs the whole start path once on a no-op, so that a standby's real start finds it compiled.</summary>
    private static void Prewarm()
    {
        var d = WorkerTargets.DescribeDelegate((Action)PrewarmTarget, []);
        WorkerSpec spec = WorkerSpec.Decode(new WorkerSpec
        {
            Name = "prewarm",
            ParentName = "prewarm",
            TypeName = d.TypeName,
            AssemblyLocation = d.Location,
            MethodToken = d.Token,
            MethodName = d.Method,
        }.Encode());
        Type type = WorkerTargets.LoadType(spec.TypeName, spec.AssemblyLocation);
        (MethodInfo method, object? instance, object?[] args) = WorkerTargets.ResolveDelegate(type, spec);
        _ = method.Invoke(instance, BindingFlags.DoNotWrapExceptions, null, args, null);
    }

    private static void PrewarmTarget()
    {
    }

    private static int RunTarget(WorkerSpec spec)
    {
        Type type = WorkerTargets.LoadType(spec.TypeName, spec.AssemblyLocation);
        if (spec.Kind == WorkerSpec.KindSubclass)
        {
            WorkerProcess worker = WorkerTargets.RebuildSubclass(type, spec);
            WorkerProcess.SetUpWorkerIdentity(worker, spec);
            worker.RunInWorker();
            return 0;
        }

        WorkerProcess.SetUpWorkerIdentity(null, spec);
        (MethodInfo method, object? instance, object?[] args) = WorkerTargets.ResolveDelegate(type, spec);
        object? result = method.Invoke(instance, BindingFlags.DoNotWrapExceptions, null, args, null);
        switch (result)
        {
            case int code:
                return code;
            case Task<int> task:
                return task.GetAwaiter().GetResult();
            case Task task:
                task.GetAwaiter().GetResult();
                return 0;
            case ValueTask<int> valueTask:
                return valueTask.AsTask().GetAwaiter().GetResult();
            case ValueTask valueTask:
                valueTask.AsTask().GetAwaiter().GetResult();
                return 0;
            default:
                return 0;
        }
    }
}
