using System.Text;

namespace Multiprocessing.Tests.Processes;

public sealed class WorkerTargetTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_subclass_carries_its_private_fields_and_shared_objects_to_the_worker()
    {
        using SharedMemoryBlock block = SharedMemoryBlock.Create(256);
        using Writer w = new(block, 7, ["a", "b"]) { Name = "writer-1" };
        w.Start();
        Assert.True(w.Join(Timeout), "the worker did not exit within 60 s");
        Assert.Null(w.Failure);
        Assert.Equal(0, w.ExitCode);
        string text = Encoding.UTF8.GetString(block.Span).TrimEnd('\0');
        Assert.Equal($"7 a,b writer-1 {Environment.ProcessId} {w.Pid}", text);
        block.Unlink();
    }

    [Fact]
    public void Shared_objects_inside_a_record_argument_travel_by_name_and_overloads_and_generic_methods_resolve()
    {
        using SharedMemoryBlock block = SharedMemoryBlock.Create(64);
        Job job = new(block, [1, 2, 3], "sum");
        using WorkerProcess p = new((Action<Job>)Write, job);
        using WorkerProcess generic = new((Action<SharedMemoryBlock, long>)WriteAt<long>, block, 99L);
        p.Start();
        Assert.True(p.Join(Timeout));
        Assert.Null(p.Failure);
        Assert.Equal("sum=6", Encoding.UTF8.GetString(block.Span[..5]));
        generic.Start();
        Assert.True(generic.Join(Timeout));
        Assert.Null(generic.Failure);
        Assert.Equal(99L, BitConverter.ToInt64(block.Span[32..40]));
        block.Unlink();
    }

    [Fact]
    public void A_lambda_that_captures_a_variable_is_refused_at_start_with_what_to_do()
    {
        int captured = 3;
        using WorkerProcess p = new(() => Console.WriteLine(captured));
        ArgumentException e = Assert.Throws<ArgumentException>(p.Start);
        Assert.Contains("captures", e.Message, StringComparison.Ordinal);
        Assert.Contains("as arguments", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, p.Pid);
    }

    [Fact]
    public void An_instance_method_is_refused_at_start()
    {
        Holder h = new();
        using WorkerProcess p = new((Action)h.Instance);
        ArgumentException e = Assert.Throws<ArgumentException>(p.Start);
        Assert.Contains("instance method", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_argument_count_or_type_is_refused_at_start()
    {
        using WorkerProcess few = new((Action<int, int>)Add);
        Assert.Contains("takes 2 argument", Assert.Throws<ArgumentException>(few.Start).Message, StringComparison.Ordinal);
        using WorkerProcess wrong = new((Action<int, int>)Add, "x", 1);
        Assert.Contains("does not fit", Assert.Throws<ArgumentException>(wrong.Start).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_worker_starts_once_and_cannot_be_joined_before_start()
    {
        using WorkerProcess p = new((Action)Nothing);
        Assert.Throws<InvalidOperationException>(() => p.Join(TimeSpan.Zero));
        Assert.Null(p.ExitCode);
        Assert.False(p.IsAlive);
        p.Start();
        Assert.Throws<InvalidOperationException>(p.Start);
        Assert.True(p.Join(Timeout));
        Assert.Equal(0, p.ExitCode);
    }

    [Fact]
    public void Returned_ints_and_Environment_Exit_become_the_exit_code()
    {
        using WorkerProcess returned = WorkerProcess.Start(static () => 5);
        using WorkerProcess wrapped = WorkerProcess.Start(static () => 257);
        using WorkerProcess exited = WorkerProcess.Start(static () => Environment.Exit(130));
        using WorkerProcess asyncTarget = WorkerProcess.Start(static async () => await Task.Yield());
        Assert.True(returned.Join(Timeout) && exited.Join(Timeout) && asyncTarget.Join(Timeout), "a worker did not exit within 60 s");
        Assert.True(wrapped.Join(Timeout));
        Assert.Equal(5, returned.ExitCode);
        Assert.Equal(1, wrapped.ExitCode);
        Assert.Equal(130, exited.ExitCode);
        Assert.Equal(0, asyncTarget.ExitCode);
    }

    [Fact]
    public void QuickExit_workers_report_their_outcome_and_remove_the_names_they_created()
    {
        string name = Multiprocessing.Internal.SegmentNames.NewAnonymous("quick");
        using WorkerProcess ok = new((Action<string>)CreateBlockAndReturn, name) { QuickExit = true };
        using WorkerProcess failing = new((Action<string>)Fail, "quick boom") { QuickExit = true };
        using WorkerProcess returning = new((Func<int>)ReturnSeven) { QuickExit = true };
        ok.Start();
        failing.Start();
        returning.Start();
        Assert.True(ok.Join(Timeout) && failing.Join(Timeout) && returning.Join(Timeout), "a worker did not exit within 60 s");
        Assert.Equal(0, ok.ExitCode);
        Assert.False(File.Exists("/dev/shm/mp." + name), "a quick exit must still remove the names the worker created");
        Assert.Equal(1, failing.ExitCode);
        Assert.Equal("quick boom", failing.Failure?.RemoteMessage);
        Assert.Equal(7, returning.ExitCode);
    }

    [Fact]
    public void Terminate_gives_exit_code_minus_15()
    {
        using SharedMemoryBlock ready = SharedMemoryBlock.Create(8);
        using WorkerProcess p = WorkerProcess.Start(static b => WorkerProcessTests.SignalThenSleep(b), ready);
        WorkerProcessTests.WaitForFlag(ready, p);
        p.Terminate();
        Assert.True(p.Join(Timeout), "the terminated worker did not exit within 60 s");
        Assert.Equal(-15, p.ExitCode);
        ready.Unlink();
    }

    [Fact]
    public async Task JoinAsync_completes_when_the_worker_exits_and_ActiveChildren_forgets_it()
    {
        using SharedMemoryBlock ready = SharedMemoryBlock.Create(8);
        using WorkerProcess p = WorkerProcess.Start(static b => WorkerProcessTests.SignalThenSleep(b), ready);
        WorkerProcessTests.WaitForFlag(ready, p);
        Assert.Contains(p, WorkerProcess.ActiveChildren());
        Task join = p.JoinAsync();
        Assert.False(join.IsCompleted);
        p.Kill();
        await join.WaitAsync(Timeout);
        Assert.Equal(-9, p.ExitCode);
        Assert.DoesNotContain(p, WorkerProcess.ActiveChildren());
        ready.Unlink();
    }

    [Fact]
    public void The_main_process_is_MainProcess_and_has_no_parent()
    {
        Assert.Equal("MainProcess", WorkerProcess.Current.Name);
        Assert.Equal(Environment.ProcessId, WorkerProcess.Current.Pid);
        Assert.Null(WorkerProcess.Parent);
        Assert.True(WorkerProcess.CpuCount >= 1);
    }

    private static void Add(int a, int b) => _ = a + b;

    private static void CreateBlockAndReturn(string name) => SharedMemoryBlock.Create(name, 64).Span[0] = 1;

    private static void Fail(string message) => throw new InvalidOperationException(message);

    private static int ReturnSeven() => 7;

    private static void Write(Job job) => Encoding.UTF8.GetBytes($"{job.Label}={job.Numbers.Sum()}").CopyTo(job.Block.Span);

    // An overload with the same name and arity: the worker must pick the one the delegate named.
    private static void Write(string text) => Console.WriteLine(text);

    private static void WriteAt<T>(SharedMemoryBlock block, T value)
        where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.Write(block.Span[32..], in value);

    public sealed record Job(SharedMemoryBlock Block, int[] Numbers, string Label);

    private static void Nothing()
    {
    }

    private sealed class Holder
    {
        private int _calls;

        internal void Instance() => _calls++;
    }

    private sealed class Writer : WorkerProcess
    {
        private readonly SharedMemoryBlock _block;
        private readonly int _value;

        public Writer(SharedMemoryBlock block, int value, List<string> items)
        {
            _block = block;
            _value = value;
            Items = items;
        }

        public List<string> Items { get; }

        protected override void Run()
        {
            string text = $"{_value} {string.Join(',', Items)} {Current.Name} {Parent!.Pid} {Current.Pid}";
            Encoding.UTF8.GetBytes(text).CopyTo(_block.Span);
        }
    }
}
