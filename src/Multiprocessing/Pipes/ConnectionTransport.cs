namespace Multiprocessing.Pipes;

/// <summary>
/// What a <see cref="Connection"/> needs from a transport (a shared-memory pipe end or a socket): message-framed
/// bytes, a way to wait for the next message without consuming it, and close. Not thread-safe, like Python's.
/// </summary>
internal abstract class ConnectionTransport : IDisposable
{
    /// <summary>What this transport is, for error messages ("pipe end 'x'", "socket connection to y").</summary>
    internal abstract string Description { get; }

    internal abstract bool CanSend { get; }

    internal abstract bool CanReceive { get; }

    internal abstract bool IsClosed { get; }

    /// <summary>Sends one message; throws <see cref="ConnectionBrokenException"/> if the peer is gone.</summary>
    internal abstract void Send(ReadOnlySpan<byte> message);

    /// <summary>
    /// Waits until the next message has arrived (returns its length, without consuming it), the deadline passes
    /// (returns -1), or the peer is gone and everything it sent has been read (throws <see cref="EndOfStreamException"/>).
    /// </summary>
    internal abstract int WaitMessage(Internal.Deadline deadline, CancellationToken ct);

    /// <summary>The asynchronous <see cref="WaitMessage"/> without a deadline.</summary>
    internal abstract ValueTask<int> WaitMessageAsync(CancellationToken ct);

    /// <summary>Consumes the message whose length <see cref="WaitMessage"/> returned into <paramref name="destination"/> (exactly that long).</summary>
    internal abstract void ReadMessage(Span<byte> destination);

    /// <summary>
    /// Waits like <see cref="WaitMessage"/>, then consumes the message into <paramref name="buffer"/> if it fits and returns
    /// its length; -1 on timeout; if it does not fit, leaves it waiting and returns <c>-2 - length</c>. One call instead of
    /// two on the hot path; transports override it when that saves work.
    /// </summary>
    internal virtual int ReceiveInto(Span<byte> buffer, Internal.Deadline deadline)
    {
        int length = WaitMessage(deadline, default);
        if (length < 0)
        {
            return -1;
        }

        if (length > buffer.Length)
        {
            return -2 - length;
        }

        ReadMessage(buffer[..length]);
        return length;
    }

    /// <summary>True if a message is ready now or the peer is gone (so a receive would not block).</summary>
    internal abstract bool IsReadable();

    /// <summary>True if a complete message is already here (a cheap check, safe to spin on).</summary>
    internal abstract bool HasMessage();

    /// <summary>The socket to select on, for socket transports.</summary>
    internal virtual System.Net.Sockets.Socket? Socket => null;

    internal abstract void Close();

    public void Dispose() => Close();
}
