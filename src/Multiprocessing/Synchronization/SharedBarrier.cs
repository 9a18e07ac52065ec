using System.Runtime.InteropServices;
using Multiprocessing.Internal;

namespace Multiprocessing;

/// <summary>
/// A barrier for a fixed number of parties across processes, Python's <c>multiprocessing.Barrier</c>: each party calls
/// <see cref="SignalAndWait()"/>, and all return together once the last one arrives; then the barrier is ready for the
/// next round. A party that times out breaks the barrier for everyone: every waiter, and every later caller until
/// <see cref="Reset"/>, gets <see cref="BrokenBarrierException"/> instead of hanging. A party that dies before
/// arriving is noticed the same way, when the others' timeout passes: give <see cref="SignalAndWait(TimeSpan, CancellationToken)"/> one.
/// </summary>
/// <remarks>
/// The creator owns the name: <see cref="Unlink"/> removes it (it is removed when the creator exits too);
/// <see cref="Dispose"/> only closes this process's view. Pass it to a worker as an argument and it is reopened there by name.
/// </remarks>
public sealed unsafe class SharedBarrier : IDisposable, Processes.ISharedObject<SharedBarrier>
{
    /// <summary>The most parties a barrier can have.</summary>
    public const int MaxParties = ArrivedMask;

    private const int LayoutVersion = 1;

    // State word: arrivals in this round (bits 0-15), round number (bits 16-30, wrapping), broken flag (bit 31).
    // Every change is one CAS of this word, so a party killed at any instruction has either arrived or not.
    private const int ArrivedMask = 0xFFFF;
    private const int RoundUnit = 0x1_0000;
    private const int RoundMask = 0x7FFF_0000;
    private const int BrokenBit = int.MinValue;

    [StructLayout(LayoutKind.Explicit, Size = 16)]
    private struct Layout
    {
        [FieldOffset(0)] internal int State;
        [FieldOffset(4)] internal int Waiters;
        [FieldOffset(8)] internal int Parties;

        /// <summary>1 + the round that <see cref="Reset"/> ended, so its waiters know they were broken, not released.</summary>
        [FieldOffset(12)] internal int ResetRound;
    }

    private readonly Segment _segment;

    private SharedBarrier(Segment segment) => _segment = segment;

    /// <summary>Creates a barrier for <paramref name="parties"/> parties under a fresh anonymous name.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parties"/> is not between 1 and <see cref="MaxParties"/>.</exception>
    public static SharedBarrier Create(int parties) => Create(SegmentNames.NewAnonymous("barrier"), parties);

    /// <summary>Creates a barrier named <paramref name="name"/> for <paramref name="parties"/> parties.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parties"/> is not between 1 and <see cref="MaxParties"/>.</exception>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '.', '_', '-'.</exception>
    /// <exception cref="IOException">The name is taken.</exception>
    public static SharedBarrier Create(string name, int parties)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parties);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(parties, MaxParties);
        Segment s = Segment.Create(name, SegmentKind.Barrier, LayoutVersion, sizeof(Layout));
        ((Layout*)s.Data)->Parties = parties;
        s.Publish();
        return new SharedBarrier(s);
    }

    /// <summary>Opens the barrier named <paramref name="name"/>.</summary>
    /// <exception cref="FileNotFoundException">No such name.</exception>
    /// <exception cref="WrongKindException">The name holds another kind of shared object.</exception>
    public static SharedBarrier Open(string name) => new(Segment.Open(name, SegmentKind.Barrier, LayoutVersion));

    static SharedBarrier Processes.ISharedObject<SharedBarrier>.OpenShared(string name) => Open(name);

    /// <summary>The name other processes open it by.</summary>
    public string Name => _segment.Name;

    /// <summary>True in the process that created the barrier.</summary>
    public bool IsOwner => _segment.IsCreator;

    /// <summary>The number of parties that must arrive.</summary>
    public int Parties => Data->Parties;

    /// <summary>How many parties wait in the current round (a snapshot).</summary>
    public int ParticipantsWaiting => Volatile.Read(ref Data->State) & ArrivedMask;

    /// <summary>True when the barrier is broken (until <see cref="Reset"/>).</summary>
    public bool IsBroken => (Volatile.Read(ref Data->State) & BrokenBit) != 0;

    /// <summary>Arrives and waits for the other parties.</summary>
    /// <returns>The arrival order in this round, 0 to <see cref="Parties"/> - 1 (Python's return value).</returns>
    /// <exception cref="BrokenBarrierException">The barrier is or becomes broken.</exception>
    public int SignalAndWait() => SignalAndWait(Timeout.InfiniteTimeSpan, default);

    /// <summary>Arrives and waits up to <paramref name="timeout"/> for the other parties; on timeout, breaks the barrier.</summary>
    /// <returns>The arrival order in this round, 0 to <see cref="Parties"/> - 1.</returns>
    /// <exception cref="BrokenBarrierException">The timeout passed (the barrier is now broken for everyone), or the
    /// barrier is or becomes broken.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; the barrier is broken too, as the round cannot complete.</exception>
    public int SignalAndWait(TimeSpan timeout, CancellationToken ct = default)
    {
        Deadline deadline = Deadline.After(timeout);
        Layout* l = Data;
        using MappingLease lease = MappingLease.Take(_segment);
        int parties = l->Parties;
        int s = Volatile.Read(ref l->State);
        int index;
        while (true)
        {
            if ((s & BrokenBit) != 0)
            {
                throw Broken("it was broken before this party arrived");
            }

            index = s & ArrivedMask;
            if (index + 1 == parties)
            {
                // The last party opens the next round: arrivals back to 0, round + 1, and wakes everyone.
                int next = (s + RoundUnit) & RoundMask;
                if (TryChange(l, ref s, next))
                {
                    FutexWait.Wake(&l->State, &l->Waiters, int.MaxValue);
                    return index;
                }

                continue;
            }

            if (TryChange(l, ref s, s + 1))
            {
                break;
            }
        }

        int round = s & RoundMask;
        while (true)
        {
            if ((s & RoundMask) != round)
            {
                return Volatile.Read(ref l->ResetRound) == (round >> 16) + 1
                    ? throw Broken("it was reset while this party waited")
                    : index;
            }

            if ((s & BrokenBit) != 0)
            {
                throw Broken("another party timed out or it was aborted while this party waited");
            }

            bool inTime;
            try
            {
                inTime = FutexWait.WaitWhileEqual(&l->State, s, &l->Waiters, deadline, ct);
            }
            catch (OperationCanceledException)
            {
                BreakRound(l, round);
                throw;
            }

            s = Volatile.Read(ref l->State);
            if (!inTime && (s & RoundMask) == round && (s & BrokenBit) == 0)
            {
                if (BreakRound(l, round))
                {
                    throw Broken($"this party timed out after {timeout.TotalMilliseconds:0} ms waiting for {parties - (s & ArrivedMask)} more");
                }

                s = Volatile.Read(ref l->State);
            }
        }
    }

    /// <summary>Breaks the barrier: every waiter, and every later caller until <see cref="Reset"/>, gets <see cref="BrokenBarrierException"/>.</summary>
    public void Abort()
    {
        Layout* l = Data;
        int s = Volatile.Read(ref l->State);
        while ((s & BrokenBit) == 0 && !TryChange(l, ref s, s | BrokenBit))
        {
        }

        FutexWait.Wake(&l->State, &l->Waiters, int.MaxValue);
    }

    /// <summary>Returns the barrier to its empty, unbroken state; parties waiting now get <see cref="BrokenBarrierException"/>.</summary>
    public void Reset()
    {
        Layout* l = Data;
        int s = Volatile.Read(ref l->State);
        do
        {
            // Mark the round as ended by a reset before ending it (release order), so its waiters read the mark.
            Volatile.Write(ref l->ResetRound, ((s & RoundMask) >> 16) + 1);
        }
        while (!TryChange(l, ref s, (s + RoundUnit) & RoundMask));

        FutexWait.Wake(&l->State, &l->Waiters, int.MaxValue);
    }

    /// <summary>Removes the name so no new process can open it; existing views stay valid. Only the creator may unlink.</summary>
    /// <exception cref="InvalidOperationException">This process opened the barrier rather than creating it.</exception>
    public void Unlink() => _segment.Unlink();

    /// <summary>Closes this process's view. Does not remove the name.</summary>
    public void Dispose() => _segment.Dispose();

    private static bool TryChange(Layout* l, ref int s, int next)
    {
        int seen = Interlocked.CompareExchange(ref l->State, next, s);
        if (seen == s)
        {
            s = next;
            return true;
        }

        s = seen;
        return false;
    }

    /// <summary>Sets the broken flag if <paramref name="round"/> is still the current round; true if this call broke it.</summary>
    private static bool BreakRound(Layout* l, int round)
    {
        int s = Volatile.Read(ref l->State);
        while ((s & RoundMask) == round && (s & BrokenBit) == 0)
        {
            if (TryChange(l, ref s, s | BrokenBit))
            {
                FutexWait.Wake(&l->State, &l->Waiters, int.MaxValue);
                return true;
            }
        }

        return false;
    }

    private BrokenBarrierException Broken(string why) => new($"The SharedBarrier '{Name}' is broken: {why}. Call Reset before using it again.");

    private Layout* Data
    {
        get
        {
            ObjectDisposedException.ThrowIf(_segment.IsClosed, this);
            return (Layout*)_segment.Data;
        }
    }
}
