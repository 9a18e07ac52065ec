using Multiprocessing.Internal;

namespace Multiprocessing;

/// <summary>
/// A manual-reset event shared between processes, Python's <c>multiprocessing.Event</c>: <see cref="Set"/> wakes every
/// waiter and keeps the flag up until <see cref="Clear"/>. A waiter never misses a <see cref="Set"/>: once it waits, a
/// Set followed at once by a Clear still releases it.
/// </summary>
/// <remarks>
/// The creator owns the name: <see cref="Unlink"/> removes it (it is removed when the creator exits too);
/// <see cref="Dispose"/> only closes this process's view. Pass it to a worker as an argument and it is reopened there by name.
/// </remarks>
public sealed class SharedEvent : IDisposable, Processes.ISharedObject<SharedEvent>
{
    private const int LayoutVersion = 1;
    private readonly Segment _segment;

    private SharedEvent(Segment segment) => _segment = segment;

    /// <summary>Creates an event, clear unless <paramref name="initialState"/>, under a fresh anonymous name.</summary>
    public static SharedEvent Create(bool initialState = false) => Create(SegmentNames.NewAnonymous("event"), initialState);

    /// <summary>Creates an event named <paramref name="name"/>, clear unless <paramref name="initialState"/>.</summary>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '.', '_', '-'.</exception>
    /// <exception cref="IOException">The name is taken.</exception>
    public static unsafe SharedEvent Create(string name, bool initialState)
    {
        Segment s = Segment.Create(name, SegmentKind.Event, LayoutVersion, sizeof(EventWord));
        if (initialState)
        {
            ((EventWord*)s.Data)->Word = 3;
        }

        s.Publish();
        return new SharedEvent(s);
    }

    /// <summary>Opens the event named <paramref name="name"/>.</summary>
    /// <exception cref="FileNotFoundException">No such name.</exception>
    /// <exception cref="WrongKindException">The name holds another kind of shared object.</exception>
    public static SharedEvent Open(string name) => new(Segment.Open(name, SegmentKind.Event, LayoutVersion));

    static SharedEvent Processes.ISharedObject<SharedEvent>.OpenShared(string name) => Open(name);

    /// <summary>The name other processes open it by.</summary>
    public string Name => _segment.Name;

    /// <summary>True in the process that created the event.</summary>
    public bool IsOwner => _segment.IsCreator;

    /// <summary>True while the flag is up.</summary>
    public unsafe bool IsSet => EventWord.IsSet(Word);

    /// <summary>Raises the flag and wakes every waiter.</summary>
    public unsafe void Set() => _ = EventWord.Set(Word);

    /// <summary>Lowers the flag; later waiters wait for the next <see cref="Set"/>.</summary>
    public unsafe void Clear() => _ = EventWord.Clear(Word);

    /// <summary>Waits until the flag is up.</summary>
    public void Wait() => _ = Wait(Timeout.InfiniteTimeSpan, default);

    /// <summary>Waits up to <paramref name="timeout"/> for the flag; true if it was set, false on timeout.</summary>
    /// <param name="timeout">How long to wait: <see cref="TimeSpan.Zero"/> to only look, <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <param name="ct">Cancels the wait with <see cref="OperationCanceledException"/>.</param>
    public unsafe bool Wait(TimeSpan timeout, CancellationToken ct = default)
    {
        Deadline deadline = Deadline.After(timeout);
        EventWord* e = Word;
        if (EventWord.IsSet(e))
        {
            return true;
        }

        using MappingLease lease = MappingLease.Take(_segment);
        return EventWord.Wait(e, deadline, ct);
    }

    /// <summary>Waits asynchronously (no thread is blocked meanwhile) until the flag is up.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public async ValueTask WaitAsync(CancellationToken ct = default) =>
        _ = await WaitAsync(Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false);

    /// <summary>Waits asynchronously up to <paramref name="timeout"/> for the flag; true if it was set, false on timeout.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public unsafe ValueTask<bool> WaitAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        Deadline deadline = Deadline.After(timeout);
        EventWord* e = Word;
        return EventWord.IsSet(e) ? new ValueTask<bool>(true) : new ValueTask<bool>(EventWord.WaitAsync((nint)e, deadline, _segment.Mapping, ct));
    }

    /// <summary>Removes the name so no new process can open it; existing views stay valid. Only the creator may unlink.</summary>
    /// <exception cref="InvalidOperationException">This process opened the event rather than creating it.</exception>
    public void Unlink() => _segment.Unlink();

    /// <summary>Closes this process's view. Does not remove the name.</summary>
    public void Dispose() => _segment.Dispose();

    private unsafe EventWord* Word
    {
        get
        {
            ObjectDisposedException.ThrowIf(_segment.IsClosed, this);
            return (EventWord*)_segment.Data;
        }
    }
}
