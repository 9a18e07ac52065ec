using System.Net.Sockets;
using Multiprocessing.Internal;
using Multiprocessing.Interop;

namespace Multiprocessing.Pipes;

/// <summary>
/// <see cref="Connection.Wait(IEnumerable{Connection}, TimeSpan)"/>: spins briefly on the cheap readiness checks,
/// then sleeps. Shared-memory ends sleep together in one <c>futex_waitv</c> (up to 127 of them), sockets in one
/// <c>select</c>; a mix alternates between the two in 1 ms slices. Every sleep is at most 50 ms long, so a peer
/// that dies (and so wakes nobody) is noticed.
/// </summary>
internal static unsafe class ConnectionWaiter
{
    private const long SliceNs = 50_000_000;
    private const int MixedSliceUs = 1000;

    internal static IReadOnlyList<Connection> Wait(Connection[] connections, Deadline deadline)
    {
        List<Connection> ready = [];
        bool allShm = connections.Length < Futex.FUTEX_WAITV_MAX;
        bool anyShm = false;
        foreach (Connection c in connections)
        {
            ArgumentNullException.ThrowIfNull(c, nameof(connections));
            bool shm = c.Transport is ShmPipeTransport;
            allShm &= shm;
            anyShm |= shm;
        }

        PipeSpinner spinner = default;
        bool mayBlock = deadline.IsInfinite || !deadline.HasPassed;
        while (true)
        {
            foreach (Connection c in connections)
            {
                if (c.Transport.HasMessage())
                {
                    ready.Add(c);
                }
            }

            if (ready.Count > 0)
            {
                return ready;
            }

            if (mayBlock && spinner.SpinOnce())
            {
                continue;
            }

            // The full check includes "is the peer gone?", which costs a system call per connection.
            foreach (Connection c in connections)
            {
                if (c.Transport.IsReadable())
                {
                    ready.Add(c);
                }
            }

            if (ready.Count > 0 || deadline.HasPassed || connections.Length == 0 && !mayBlock)
            {
                return ready;
            }

            if (connections.Length == 0)
            {
                Thread.Sleep(TimeSpan.FromTicks(Math.Min(SliceNs, deadline.RemainingNanoseconds < 0 ? SliceNs : deadline.RemainingNanoseconds) / 100));
            }
            else if (allShm)
            {
                SleepOnFutexes(connections, deadline);
            }
            else
            {
                SleepOnSockets(connections, deadline, anyShm ? MixedSliceUs : (int)(SliceNs / 1000));
            }
        }
    }

    private static void SleepOnFutexes(Connection[] connections, Deadline deadline)
    {
        int n = connections.Length;
        Futex.FutexWaitv* entries = stackalloc Futex.FutexWaitv[n];
        int prepared = 0;
        try
        {
            for (; prepared < n; prepared++)
            {
                if (!((ShmPipeTransport)connections[prepared].Transport).BeginWait(out entries[prepared]))
                {
                    // A message arrived meanwhile: do not sleep.
                    return;
                }
            }

            long now = Deadline.After(TimeSpan.Zero).AbsoluteNanoseconds;
            long until = Math.Min(deadline.AbsoluteNanoseconds, now + SliceNs);
            Futex.Timespec ts = new() { Seconds = until / 1_000_000_000, Nanoseconds = until % 1_000_000_000 };

            // Any return (woken, a word already changed, timeout, signal) just makes the caller re-check everything.
            _ = Futex.WaitV(entries, n, &ts);
        }
        finally
        {
            for (int i = 0; i < prepared; i++)
            {
                ((ShmPipeTransport)connections[i].Transport).EndWait();
            }
        }
    }

    private static void SleepOnSockets(Connection[] connections, Deadline deadline, int sliceUs)
    {
        List<Socket> sockets = [];
        foreach (Connection c in connections)
        {
            if (c.Transport.Socket is { } s)
            {
                sockets.Add(s);
            }
        }

        long remainingUs = deadline.RemainingNanoseconds < 0 ? sliceUs : Math.Min(sliceUs, deadline.RemainingNanoseconds / 1000);
        if (sockets.Count == 0)
        {
            // More shared-memory ends than one futex_waitv call holds: poll them in short slices.
            Thread.Sleep(TimeSpan.FromMicroseconds(Math.Max(remainingUs, 1)));
            return;
        }

        try
        {
            Socket.Select(sockets, null, null, (int)Math.Max(remainingUs, 1));
        }
        catch (ObjectDisposedException)
        {
            // A connection was closed meanwhile; the re-check reports it.
        }
    }
}
