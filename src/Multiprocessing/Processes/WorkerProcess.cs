using System.Diagnostics;
using Multiprocessing.Internal;
using Multiprocessing.Interop;
using Multiprocessing.Processes;

namespace Multiprocessing;

/// <summary>
/// A worker process that runs a method of this program, Python's <c>multiprocessing.Process</c>. The target is a
/// static method or a <c>static</c> lambda with its arguments (<see cref="Start(Action)"/>,
/// <c>new WorkerProcess(target, args)</c>), or a subclass that overrides <see cref="Run"/> and keeps its state in
/// fields. Arguments and fields are serialized (contractless MessagePack); shared objects such as
/// <see cref="SharedMemoryBlock"/> travel by name and are reopened in the worker. The worker inherits this
/// process's standard output and error.
/// </summary>
public class WorkerProcess : IDisposable
{
    private static int s_counter;
    private static WorkerProcess? s_current;
    private static WorkerProcess? s_parent;

    private readonly Delegate? _target;
    private readonly object?[] _args = [];
    private object _gate = new();
    private string? _name;
    private bool _daemon;
    private bool _quickExit;
    private ViewKind _view;
    private ulong _viewStartTime;
    private Process? _process;
    private SafeFdHandle? _pidfd;
    private WorkerStatusBlock? _status;
    private int _pid;
    private bool _started;
    private bool _completed;
    private bool _disposed;
    private int? _exitCode;
    private WorkerException? _failure;

    /// <summary>For subclasses: override <see cref="Run"/>; the subclass's fields are sent to the worker.</summary>
    protected WorkerProcess()
    {
    }

    /// <summary>A worker that will run <paramref name="target"/> with <paramref name="args"/> once started.</summary>
    /// <param name="target">A static method or a <c>static</c> lambda. A lambda that captures variables is refused at <see cref="Start()"/>.</param>
    /// <param name="args">One value per parameter of the target, serialized to the worker.</param>
    public WorkerProcess(Delegate target, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(target);
        _target = target;
        _args = args ?? [null];
    }

    private enum ViewKind
    {
        None,
        Self,
        Parent,
    }

    /// <summary>The worker's name, for messages and logs. The default is "WorkerProcess-N"; the main process is "MainProcess".</summary>
    public string Name
    {
        get => _name ??= "WorkerProcess-" + Interlocked.Increment(ref s_counter).ToString(System.Globalization.CultureInfo.InvariantCulture);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _name = value;
        }
    }

    /// <summary>
    /// True for a worker that must not outlive this process: it is killed when this process dies, even by
    /// <c>kill -9</c>, and terminated when this process exits normally. Set it before <see cref="Start()"/>. The default is false.
    /// </summary>
    public bool Daemon
    {
        get => _daemon;
        set
        {
            ThrowIfStartedFor(nameof(Daemon));
            _daemon = value;
        }
    }

    /// <summary>
    /// When true, the worker ends its process at once after the target returns or throws (and its outcome is
    /// recorded), as a forked CPython child does with <c>os._exit</c>: the console is flushed and the shared objects the
    /// worker created are removed, but <see cref="AppDomain.ProcessExit"/> handlers do not run in the worker. It makes
    /// <see cref="Join()"/> return sooner (the runtime's shutdown takes milliseconds). Set it before
    /// <see cref="Start()"/>. The default is false.
    /// </summary>
    public bool QuickExit
    {
        get => _quickExit;
        set
        {
            ThrowIfStartedFor(nameof(QuickExit));
            _quickExit = value;
        }
    }

    private void ThrowIfStartedFor(string property)
    {
        if (_started || _view != ViewKind.None)
        {
            throw new InvalidOperationException($"Set {property} on worker '{Name}' before starting it.");
        }
    }

    /// <summary>The worker's process id; 0 before <see cref="Start()"/>.</summary>
    public int Pid => _pid;

    /// <summary>True from <see cref="Start()"/> until the worker exits.</summary>
    public bool IsAlive
    {
        get
        {
            return _view switch
            {
                ViewKind.Self => true,
                ViewKind.Parent => ProcessLiveness.IsSameAndAlive(_pid, _viewStartTime),
                _ => _started && !Exited(),
            };
        }
    }

    /// <summary>
    /// The worker's exit code once it has exited, else null: 0 when the target returned (or the int it returned),
    /// 1 when it threw, the code it passed to <see cref="Environment.Exit"/>, and the negative signal number when a
    /// signal killed it (-9 after <see cref="Kill"/>, -15 after <see cref="Terminate"/>), as in Python.
    /// </summary>
    public int? ExitCode => _started && Exited() ? _exitCode : null;

    /// <summary>The exception the worker did not handle (its type name, message and stack), or null.</summary>
    public WorkerException? Failure => _started && Exited() ? _failure : null;

    /// <summary>The number of CPUs this process may use, Python's <c>os.cpu_count()</c> as <c>multiprocessing</c> uses it.</summary>
    public static int CpuCount => Environment.ProcessorCount;

    /// <summary>
    /// This process, Python's <c>current_process()</c>: named "MainProcess" in the main program; inside a worker, the
    /// worker (the subclass instance itself when the worker is a subclass).
    /// </summary>
    public static WorkerProcess Current
    {
        get
        {
            if (s_current is null)
            {
                WorkerProcess self = new(ViewKind.Self, "MainProcess", ProcessLiveness.CurrentPid, 0);
                _ = Interlocked.CompareExchange(ref s_current, self, null);
            }

            return s_current;
        }
    }

    /// <summary>The process that started this worker, Python's <c>parent_process()</c>; null in the main program.</summary>
    public static WorkerProcess? Parent => s_parent;

    /// <summary>The workers started by this process that are still running, Python's <c>active_children()</c>.</summary>
    public static IReadOnlyList<WorkerProcess> ActiveChildren() => WorkerRegistry.Live();

    /// <summary>
    /// For apps that cannot run the worker host (self-contained single-file, trimmed or Native AOT apps): call it on
    /// the first line of <c>Main</c>. In a worker process it runs the worker's target and exits the process with the
    /// worker's exit code; in any other process it returns at once and does nothing.
    /// </summary>
    public static void RunWorkerIfRequested()
    {
        string? statusName = Environment.GetEnvironmentVariable(WorkerLauncher.EnvironmentVariable);
        if (!string.IsNullOrEmpty(statusName))
        {
            Environment.Exit(WorkerBootstrap.Run(statusName));
        }
    }

    private WorkerProcess(ViewKind view, string name, int pid, ulong startTime)
    {
        _view = view;
        _name = name;
        _pid = pid;
        _viewStartTime = startTime;
    }

    /// <summary>Starts a worker running <paramref name="target"/>.</summary>
    public static WorkerProcess Start(Action target) => StartNew(target);

    /// <summary>Starts a worker running <paramref name="target"/>(<paramref name="arg1"/>).</summary>
    public static WorkerProcess Start<T1>(Action<T1> target, T1 arg1) => StartNew(target, arg1);

    /// <summary>Starts a worker running <paramref name="target"/> with two arguments.</summary>
    public static WorkerProcess Start<T1, T2>(Action<T1, T2> target, T1 arg1, T2 arg2) => StartNew(target, arg1, arg2);

    /// <summary>Starts a worker running <paramref name="target"/> with three arguments.</summary>
    public static WorkerProcess Start<T1, T2, T3>(Action<T1, T2, T3> target, T1 arg1, T2 arg2, T3 arg3) => StartNew(target, arg1, arg2, arg3);

    /// <summary>Starts a worker running <paramref name="target"/> with four arguments.</summary>
    public static WorkerProcess Start<T1, T2, T3, T4>(Action<T1, T2, T3, T4> target, T1 arg1, T2 arg2, T3 arg3, T4 arg4) =>
        StartNew(target, arg1, arg2, arg3, arg4);

    /// <summary>Starts a worker whose target returns its exit code.</summary>
    public static WorkerProcess Start(Func<int> target) => StartNew(target);

    /// <summary>Starts a worker running an async target; it exits when the task completes.</summary>
    public static WorkerProcess Start(Func<Task> target) => StartNew(target);

    private static WorkerProcess StartNew(Delegate target, params object?[] args)
    {
        WorkerProcess p = new(target, args);
        p.Start();
        return p;
    }

    /// <summary>Starts the worker process. A worker starts once.</summary>
    /// <exception cref="ArgumentException">The target captures variables, is an instance method, or an argument cannot be serialized.</exception>
    /// <exception cref="InvalidOperationException">The worker was already started.</exception>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_view != ViewKind.None)
        {
            throw new InvalidOperationException($"'{Name}' is a running process seen from inside, not a worker to start; create a new WorkerProcess.");
        }

        lock (_gate)
        {
            if (_started)
            {
                throw new InvalidOperationException($"Worker '{Name}' was already started; a WorkerProcess starts once, so create a new one.");
            }

            Platform.ThrowIfUnsupported();
            if (Environment.GetEnvironmentVariable(WorkerLauncher.EnvironmentVariable) is { Length: > 0 } statusName)
            {
                // Only reachable when an app without a deps file was started as a worker and Main ran instead of the
                // worker. Tell the parent why, through the status block, rather than start workers recursively.
                InvalidOperationException e = new(
                    "This process was started as a worker but ran Main instead; call WorkerProcess.RunWorkerIfRequested() on the first line of Main (see the README).");
                WorkerBootstrap.ReportMisstart(statusName, e);
                throw e;
            }

            byte[] spec = BuildSpec().Encode();
            WorkerStatusBlock status = WorkerStatusBlock.Create(spec);
            try
            {
                Process process = Process.Start(WorkerLauncher.CreateStartInfo(status.Name))
                    ?? throw new InvalidOperationException($"Worker '{Name}' could not be started.");
                Attach(process, status);
            }
            catch
            {
                status.Unlink();
                status.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// Starts the worker in a process of <paramref name="standby"/> that was started ahead of time, which skips the
    /// runtime's start-up; falls back to a fresh process if no standby is available.
    /// </summary>
    public void Start(WorkerStandby standby)
    {
        ArgumentNullException.ThrowIfNull(standby);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_view != ViewKind.None)
        {
            throw new InvalidOperationException($"'{Name}' is a running process seen from inside, not a worker to start; create a new WorkerProcess.");
        }

        lock (_gate)
        {
            if (_started)
            {
                throw new InvalidOperationException($"Worker '{Name}' was already started; a WorkerProcess starts once, so create a new one.");
            }

            byte[] spec = BuildSpec().Encode();
            if (standby.TryTake(spec, out Process process, out WorkerStatusBlock status))
            {
                Attach(process, status);
                return;
            }
        }

        Start();
    }

    internal void Attach(Process process, WorkerStatusBlock status)
    {
        _process = process;
        _status = status;
        _pid = process.Id;
        SafeFdHandle pidfd = Pidfd.Open(_pid);
        if (pidfd.IsInvalid)
        {
            pidfd.Dispose();
        }
        else
        {
            _pidfd = pidfd;
        }

        _started = true;
        WorkerRegistry.Add(this);
    }

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An empty location (single-file app) is handled: the type is then found by name only.")]
    internal WorkerSpec BuildSpec()
    {
        WorkerProcess current = Current;
        if (GetType() != typeof(WorkerProcess))
        {
            if (_target is not null)
            {
                throw new InvalidOperationException(
                    $"Worker '{Name}' is a subclass of WorkerProcess and also has a target; override Run() in the subclass, or use WorkerProcess itself with a target.");
            }

            (string[] keys, byte[][] values) = WorkerTargets.DescribeFields(this);
            Type type = GetType();
            return new WorkerSpec
            {
                Kind = WorkerSpec.KindSubclass,
                Name = Name,
                Daemon = _daemon,
                QuickExit = _quickExit,
                ParentPid = ProcessLiveness.CurrentPid,
                ParentStartTime = Segment.CurrentStartTime,
                ParentName = current.Name,
                TypeName = type.AssemblyQualifiedName!,
                AssemblyLocation = type.Assembly.Location,
                FieldKeys = keys,
                Values = values,
            };
        }

        if (_target is null)
        {
            throw new InvalidOperationException($"Worker '{Name}' has nothing to run; pass a target to the constructor, or subclass WorkerProcess and override Run().");
        }

        var d = WorkerTargets.DescribeDelegate(_target, _args);
        return new WorkerSpec
        {
            Kind = WorkerSpec.KindDelegate,
            Name = Name,
            Daemon = _daemon,
            ParentPid = ProcessLiveness.CurrentPid,
            ParentStartTime = Segment.CurrentStartTime,
            ParentName = current.Name,
            TypeName = d.TypeName,
            AssemblyLocation = d.Location,
            MethodToken = d.Token,
            MethodName = d.Method,
            TargetKind = d.TargetKind,
            MethodGenericArguments = d.Generic,
            Values = d.Values,
        };
    }

    /// <summary>
    /// The worker's body when <see cref="WorkerProcess"/> is subclassed: override it. It runs in the worker process,
    /// on an object rebuilt from the fields the subclass declares (its constructor does not run again there).
    /// </summary>
    protected virtual void Run() =>
        throw new InvalidOperationException($"Worker '{Name}' has no Run() override; override Run() in the subclass, or pass a target to the WorkerProcess constructor.");

    internal void RunInWorker() => Run();

    /// <summary>The status segment's name while the worker runs (for tests).</summary>
    internal string? StatusName => _status?.Name;

    /// <summary>Waits up to <paramref name="timeout"/> for the worker to exit.</summary>
    /// <returns>True if it exited (see <see cref="ExitCode"/>), false on timeout.</returns>
    public bool Join(TimeSpan timeout)
    {
        if (_view != ViewKind.None)
        {
            return JoinView(timeout);
        }

        Process process = StartedProcess();
        if (_completed)
        {
            return true;
        }

        // The pidfd turns readable as soon as the worker exits; Process.WaitForExit would wait further for .NET's
        // SIGCHLD thread to reap it. Without a pidfd (the worker exited before it could be opened), use Process.
        if (_pidfd is { } fd ? !WaitPidfd(fd, timeout) : !process.WaitForExit(timeout))
        {
            return false;
        }

        Complete();
        return true;
    }

    private static bool WaitPidfd(SafeFdHandle fd, TimeSpan timeout)
    {
        Deadline deadline = Deadline.After(timeout);
        while (true)
        {
            long ns = deadline.RemainingNanoseconds;
            int ms = ns < 0 ? -1 : (int)Math.Min(int.MaxValue, (ns + 999_999) / 1_000_000);
            if (Pidfd.WaitExited(fd, ms))
            {
                return true;
            }

            // poll returned early (EINTR) or timed out: re-check the deadline.
            if (deadline.HasPassed)
            {
                return false;
            }
        }
    }

    /// <summary>Waits for the worker to exit, with no time limit.</summary>
    public void Join() => Join(Timeout.InfiniteTimeSpan);

    /// <summary>Waits asynchronously for the worker to exit.</summary>
    public async Task JoinAsync(CancellationToken ct = default)
    {
        if (_view != ViewKind.None)
        {
            await Task.Run(() => JoinView(Timeout.InfiniteTimeSpan), ct).ConfigureAwait(false);
            return;
        }

        await StartedProcess().WaitForExitAsync(ct).ConfigureAwait(false);
        Complete();
    }

    /// <summary>Asks the worker to stop with SIGTERM (the runtime shuts down; <see cref="ExitCode"/> becomes -15). Does nothing if it has exited.</summary>
    public void Terminate() => Signal(Libc.SIGTERM);

    /// <summary>Kills the worker with SIGKILL (<see cref="ExitCode"/> becomes -9). Does nothing if it has exited.</summary>
    public void Kill() => Signal(Libc.SIGKILL);

    private void Signal(int signal)
    {
        if (_view != ViewKind.None)
        {
            throw new InvalidOperationException($"'{Name}' is not a worker started by this process; only its parent may signal it.");
        }

        Process process = StartedProcess();
        if (process.HasExited)
        {
            return;
        }

        // pidfd_send_signal cannot hit a process that reused the pid after the worker was reaped.
        if (_pidfd is { } fd)
        {
            _ = Pidfd.SendSignal(fd, signal);
        }
        else if (!process.HasExited)
        {
            _ = ProcessLiveness.Signal(_pid, signal);
        }
    }

    private Process StartedProcess() =>
        _process ?? throw new InvalidOperationException($"Worker '{Name}' has not been started; call Start() first.");

    private bool Exited()
    {
        if (_completed)
        {
            return true;
        }

        if (_pidfd is { } fd ? Pidfd.WaitExited(fd, 0) : _process is { HasExited: true })
        {
            Complete();
            return true;
        }

        return false;
    }

    /// <summary>Reads how the worker ended, once: its recorded state decides between a chosen exit code and a signal.</summary>
    private void Complete()
    {
        lock (_gate)
        {
            if (_completed || _process is null)
            {
                return;
            }

            // The process has exited (its pidfd is readable, or Process saw it). The worker recorded how it ended, unless a
            // signal killed it before it could: only then is the raw status needed, which means waiting for .NET to reap it.
            WorkerStatusBlock? status = _status;
            int state = status?.State ?? WorkerStatusHeader.StateCreated;
            int code;
            unsafe
            {
                code = state switch
                {
                    WorkerStatusHeader.StateSignaled => -status!.Header->Signal,
                    WorkerStatusHeader.StateReturned or WorkerStatusHeader.StateFailed => status!.Header->ExitCode,

                    // Environment.Exit(n) in the worker: n is only known for sure from the process status.
                    WorkerStatusHeader.StateExited => RawExitCode(_process),
                    _ => RawExitCodeAsSignal(_process),
                };
            }

            if (status?.ReadFailure() is { } f)
            {
                _failure = new WorkerException(f.Type, f.Message, f.Stack, Name, _pid);
            }

            _exitCode = code;
            _completed = true;
            if (status is not null)
            {
                status.Unlink();
                status.Dispose();
                _status = null;
            }

            WorkerRegistry.Remove(this);
        }
    }

    /// <summary>Nothing recorded an ending: the worker died without running managed code; .NET reports a death by signal n as 128 + n.</summary>
    private static int RawExitCodeAsSignal(Process process)
    {
        int raw = RawExitCode(process);
        return raw is > 128 and <= 128 + 64 ? -(raw - 128) : raw;
    }

    private static int RawExitCode(Process process)
    {
        process.WaitForExit();
        return process.ExitCode;
    }

    private bool JoinView(TimeSpan timeout)
    {
        if (_view == ViewKind.Self)
        {
            throw new InvalidOperationException($"'{Name}' cannot join itself.");
        }

        _ = Deadline.After(timeout); // validates the timeout even when the process is already gone
        using SafeFdHandle fd = Pidfd.Open(_pid);
        return fd.IsInvalid || !ProcessLiveness.IsSameAndAlive(_pid, _viewStartTime) || WaitPidfd(fd, timeout);
    }

    /// <summary>Called in the worker: this object is the worker itself (a rebuilt subclass instance or a plain view).</summary>
    internal static void SetUpWorkerIdentity(WorkerProcess? self, WorkerSpec spec)
    {
        self ??= new WorkerProcess(ViewKind.Self, spec.Name, ProcessLiveness.CurrentPid, 0);
        self._gate = new object();
        self._view = ViewKind.Self;
        self._name = spec.Name;
        self._pid = ProcessLiveness.CurrentPid;
        self._daemon = spec.Daemon;
        s_current = self;
        s_parent = new WorkerProcess(ViewKind.Parent, spec.ParentName, spec.ParentPid, spec.ParentStartTime);
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        string state = _view switch
        {
            ViewKind.Self => "current",
            ViewKind.Parent => IsAlive ? "parent, alive" : "parent, exited",
            _ => !_started ? "initial" : ExitCode is { } c ? $"exit code {c}" : "started",
        };
        return $"WorkerProcess '{Name}' (pid {_pid}, {state}{(_daemon ? ", daemon" : "")})";
    }

    /// <summary>Kills the worker if it is still running (Join first to let it finish), and releases its handles.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the worker's handles; kills it first if it is still running.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing || _disposed || _view != ViewKind.None)
        {
            return;
        }

        _disposed = true;
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                Kill();
                _ = process.WaitForExit(TimeSpan.FromSeconds(10));
            }

            if (process.HasExited)
            {
                Complete();
            }

            process.Dispose();
        }

        _pidfd?.Dispose();
        WorkerRegistry.Remove(this);
    }
}
