using Multiprocessing.Internal;
using Multiprocessing.Queues;
using Multiprocessing.Serialization;

namespace Multiprocessing;

/// <summary>
/// Python's <c>multiprocessing.JoinableQueue</c>: a <see cref="SharedQueue{T}"/> whose consumers call
/// <see cref="TaskDone"/> once per message taken, and whose <see cref="Join()"/> waits until every message put has
/// been marked done. Each consumer process's unfinished tasks are recorded in shared memory, so a consumer that dies
/// holding tasks never makes <see cref="Join()"/> hang: it throws a <see cref="ConsumerDiedException"/> naming the
/// dead process and how many tasks it left. With <see cref="SharedQueueOptions.AtLeastOnce"/>, those tasks go back on
/// the queue instead.
/// </summary>
/// <typeparam name="T">The message type (see <see cref="SharedQueue{T}"/>).</typeparam>
public sealed class JoinableQueue<T> : SharedQueue<T>, Processes.ISharedObject<JoinableQueue<T>>
{
    private JoinableQueue(QueueCore core, MessageSerializerOptions? serialization)
        : base(core, serialization)
    {
    }

    /// <summary>Creates an anonymous joinable queue (pass it to workers as an argument).</summary>
    public static new JoinableQueue<T> Create(SharedQueueOptions? options = null) => Create(SegmentNames.NewAnonymous("jqueue"), options);

    /// <summary>Creates a joinable queue named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '.', '_', '-'.</exception>
    /// <exception cref="IOException">The name is taken.</exception>
    public static new JoinableQueue<T> Create(string name, SharedQueueOptions? options = null)
    {
        options ??= SharedQueueOptions.Default;
        return new JoinableQueue<T>(QueueCore.Create(name, SegmentKind.JoinableQueue, TypeNames.Tag(typeof(T)), options, joinable: true), options.Serialization);
    }

    /// <summary>Opens the joinable queue named <paramref name="name"/>.</summary>
    /// <exception cref="FileNotFoundException">No such name.</exception>
    /// <exception cref="WrongKindException">The name holds another kind of object, or a queue of another element type.</exception>
    public static new JoinableQueue<T> Open(string name) => Open(name, null);

    /// <summary>Opens the joinable queue named <paramref name="name"/> with serializer options.</summary>
    public static new JoinableQueue<T> Open(string name, MessageSerializerOptions? serialization) =>
        new(QueueCore.Open(name, SegmentKind.JoinableQueue, TypeNames.Tag(typeof(T))), serialization);

    static JoinableQueue<T> Processes.ISharedObject<JoinableQueue<T>>.OpenShared(string name) => Open(name);

    internal static new JoinableQueue<T> CreateForTest(string name, SharedQueueOptions options, ulong start) =>
        new(QueueCore.Create(name, SegmentKind.JoinableQueue, TypeNames.Tag(typeof(T)), options, joinable: true, start), options.Serialization);

    /// <summary>True if tasks of dead consumers go back on the queue (<see cref="SharedQueueOptions.AtLeastOnce"/>).</summary>
    public bool AtLeastOnce => Core.AtLeastOnce;

    /// <summary>Tasks put and not yet marked done, across all processes.</summary>
    public long UnfinishedTasks => Math.Max(0, Core.Unfinished);

    /// <summary>Python's <c>task_done()</c>: marks one task taken by this process as done.</summary>
    /// <exception cref="InvalidOperationException">Called more times than tasks were put (Python's ValueError).</exception>
    public void TaskDone()
    {
        ThrowIfDisposed();
        Core.TaskDone();
    }

    /// <summary>Python's <c>join()</c>: waits until every task put has been marked done.</summary>
    /// <exception cref="ConsumerDiedException">A consumer process died holding unfinished tasks (not in at-least-once mode).</exception>
    public void Join()
    {
        ThrowIfDisposed();
        _ = Core.Join(Deadline.Infinite, default);
    }

    /// <summary>Waits until every task is done or <paramref name="timeout"/> passes (false).</summary>
    /// <exception cref="ConsumerDiedException">A consumer process died holding unfinished tasks (not in at-least-once mode).</exception>
    public bool TryJoin(TimeSpan timeout)
    {
        ThrowIfDisposed();
        return Core.Join(Deadline.After(timeout), default);
    }

    /// <summary>Waits asynchronously until every task is done (no thread is blocked while it waits).</summary>
    /// <exception cref="ConsumerDiedException">A consumer process died holding unfinished tasks (not in at-least-once mode).</exception>
    public ValueTask JoinAsync(CancellationToken ct = default)
    {
        ThrowIfDisposed();
        return Core.JoinAsync(ct);
    }
}
