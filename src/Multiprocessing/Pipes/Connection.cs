using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Multiprocessing.Internal;
using Multiprocessing.Pipes;

namespace Multiprocessing;

/// <summary>
/// One end of a message connection (Python's <c>multiprocessing.connection.Connection</c>): a shared-memory
/// <see cref="Pipe"/> end, or a socket from <see cref="Listener"/> / <see cref="Client"/>. This base class carries the
/// byte-level API and <see cref="Wait(IEnumerable{Connection}, TimeSpan)"/>; <see cref="Connection{T}"/> adds typed messages.
/// </summary>
/// <remarks>
/// Messages keep their boundaries. When the peer closes its end or its process exits, receives first return
/// everything it sent, then throw <see cref="EndOfStreamException"/>; sends throw <see cref="ConnectionBrokenException"/>.
/// Like Python's, a connection is not thread-safe: use each end from one thread at a time (a <see cref="Close"/>
/// from another thread is allowed and wakes a blocked receive).
/// </remarks>
public abstract class Connection : IDisposable
{
    /// <summary>Messages up to this size are received through a buffer kept by the connection; larger ones rent one.</summary>
    private protected const int KeptBufferLimit = 64 * 1024;

    private protected Connection(ConnectionTransport transport) => Transport = transport;

    internal ConnectionTransport Transport { get; }

    /// <summary>True if this end can send (false for the receiving end of a one-way pipe).</summary>
    public bool CanSend => Transport.CanSend;

    /// <summary>True if this end can receive (false for the sending end of a one-way pipe).</summary>
    public bool CanReceive => Transport.CanReceive;

    /// <summary>True once <see cref="Close"/> (or <see cref="Dispose"/>) was called on this end.</summary>
    public bool IsClosed => Transport.IsClosed;

    /// <summary>Sends <paramref name="data"/> as one message (Python's <c>send_bytes</c>).</summary>
    /// <exception cref="ConnectionBrokenException">The peer has closed its end or exited.</exception>
    /// <exception cref="ObjectDisposedException">This end is closed.</exception>
    public void SendBytes(ReadOnlySpan<byte> data) => Transport.Send(data);

    /// <summary>Receives the next message as a new array, waiting as long as it takes (Python's <c>recv_bytes</c>).</summary>
    /// <remarks>
    /// Each call allocates the message's array; for a steady stream of large messages prefer
    /// <see cref="ReceiveBytesPooled"/> or <see cref="ReceiveBytesInto"/>, which allocate nothing.
    /// </remarks>
    /// <exception cref="EndOfStreamException">The peer is gone and every message it sent has been received.</exception>
    public byte[] ReceiveBytes() => ReadArray(Transport.WaitMessage(Deadline.Infinite, default));

    /// <summary>Receives the next message if one arrives within <paramref name="timeout"/>.</summary>
    /// <returns>False if the timeout passed first.</returns>
    /// <exception cref="EndOfStreamException">The peer is gone and every message it sent has been received.</exception>
    public bool TryReceiveBytes([NotNullWhen(true)] out byte[]? data, TimeSpan timeout)
    {
        int length = Transport.WaitMessage(Deadline.After(timeout), default);
        if (length < 0)
        {
            data = null;
            return false;
        }

        data = ReadArray(length);
        return true;
    }

    /// <summary>Receives the next message as a new array without blocking a thread while waiting.</summary>
    /// <exception cref="EndOfStreamException">The peer is gone and every message it sent has been received.</exception>
    public async ValueTask<byte[]> ReceiveBytesAsync(CancellationToken ct = default) =>
        ReadArray(await Transport.WaitMessageAsync(ct).ConfigureAwait(false));

    /// <summary>
    /// Receives the next message into a buffer rented from <see cref="ArrayPool{T}.Shared"/>, waiting as long as it
    /// takes. The result's <see cref="IMemoryOwner{T}.Memory"/> is exactly the message; dispose it to give the buffer
    /// back. For large messages of varying size this is the fast path: no array is allocated per message (see
    /// <see cref="ReceiveBytes"/>), and unlike <see cref="ReceiveBytesInto"/> no maximum size has to be known.
    /// </summary>
    /// <exception cref="EndOfStreamException">The peer is gone and every message it sent has been received.</exception>
    public IMemoryOwner<byte> ReceiveBytesPooled() => ReadPooled(Transport.WaitMessage(Deadline.Infinite, default));

    /// <summary>Like <see cref="ReceiveBytesPooled"/>, giving up after <paramref name="timeout"/>.</summary>
    /// <returns>False if the timeout passed first.</returns>
    /// <exception cref="EndOfStreamException">The peer is gone and every message it sent has been received.</exception>
    public bool TryReceiveBytesPooled([NotNullWhen(true)] out IMemoryOwner<byte>? message, TimeSpan timeout)
    {
        int length = Transport.WaitMessage(Deadline.After(timeout), default);
        message = length < 0 ? null : ReadPooled(length);
        return message is not null;
    }

    /// <summary>Like <see cref="ReceiveBytesPooled"/>, without blocking a thread while waiting.</summary>
    /// <exception cref="EndOfStreamException">The peer is gone and every message it sent has been received.</exception>
    public async ValueTask<IMemoryOwner<byte>> ReceiveBytesPooledAsync(CancellationToken ct = default) =>
        ReadPooled(await Transport.WaitMessageAsync(ct).ConfigureAwait(false));

    private byte[] ReadArray(int length)
    {
        byte[] data = GC.AllocateUninitializedArray<byte>(length);
        Transport.ReadMessage(data);
        return data;
    }

    private RentedBytes ReadPooled(int length)
    {
        RentedBytes message = RentedBytes.Rent(length);
        try
        {
            Transport.ReadMessage(message.Span);
            return message;
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Receives the next message into <paramref name="buffer"/> and returns its length (Python's <c>recv_bytes_into</c>).
    /// </summary>
    /// <exception cref="BufferTooShortException">The message is longer than the buffer; it is not consumed.</exception>
    /// <exception cref="EndOfStreamException">The peer is gone and every message it sent has been received.</exception>
    public int ReceiveBytesInto(Span<byte> buffer)
    {
        int r = Transport.ReceiveInto(buffer, Deadline.Infinite);
        if (r >= 0)
        {
            return r;
        }

        int length = -2 - r;
        if (length > buffer.Length)
        {
            throw new BufferTooShortException(length, buffer.Length);
        }

        // Fits the buffer but streams through the ring in chunks.
        Transport.ReadMessage(buffer[..length]);
        return length;
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for something to receive (Python's <c>poll</c>). Also true when the peer
    /// is gone, since a receive then does not block (it returns what is left, then throws <see cref="EndOfStreamException"/>).
    /// </summary>
    public bool Poll(TimeSpan timeout)
    {
        try
        {
            return Transport.WaitMessage(Deadline.After(timeout), default) >= 0;
        }
        catch (EndOfStreamException)
        {
            return true;
        }
    }

    /// <summary>True if a receive would not block now.</summary>
    public bool Poll() => Poll(TimeSpan.Zero);

    /// <summary>
    /// Closes this end. The peer receives what was already sent, then end-of-stream. An end passed to a worker and not
    /// yet opened there is only released here, not closed for the peer.
    /// </summary>
    public void Close() => Transport.Close();

    /// <summary>What this connection is: the pipe end's name or the socket's addresses.</summary>
    public override string ToString() => Transport.Description;

    /// <summary>Same as <see cref="Close"/>.</summary>
    public void Dispose()
    {
        Close();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Returns the connections that are ready to receive, or whose peer is gone, waiting up to <paramref name="timeout"/>
    /// for at least one (Python's <c>multiprocessing.connection.wait</c>). Shared-memory ends are watched together
    /// with one <c>futex_waitv</c> call, without a thread per connection. An empty list means the timeout passed.
    /// </summary>
    public static IReadOnlyList<Connection> Wait(IEnumerable<Connection> connections, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(connections);
        return ConnectionWaiter.Wait([.. connections], Deadline.After(timeout));
    }

    /// <summary>Like <see cref="Wait(IEnumerable{Connection}, TimeSpan)"/>, waiting as long as it takes.</summary>
    public static IReadOnlyList<Connection> Wait(IEnumerable<Connection> connections) => Wait(connections, Timeout.InfiniteTimeSpan);

    /// <summary>
    /// Receives the next message and hands its bytes to <paramref name="read"/>; false on timeout. Small messages go
    /// through a buffer kept by the connection in one transport call; larger ones through a rented buffer.
    /// </summary>
    private protected bool ReceiveWith<TResult>(Deadline deadline, Func<ReadOnlySequence<byte>, TResult> read, out TResult result)
    {
        byte[] kept = _kept ??= new byte[256];
        int r = Transport.ReceiveInto(kept, deadline);
        if (r >= 0)
        {
            result = read(new ReadOnlySequence<byte>(kept, 0, r));
            return true;
        }

        if (r == -1)
        {
            result = default!;
            return false;
        }

        result = ReadWith(-2 - r, read);
        return true;
    }

    /// <summary>Reads the waiting message of <paramref name="length"/> bytes into a buffer and hands it to <paramref name="read"/>.</summary>
    private protected TResult ReadWith<TResult>(int length, Func<ReadOnlySequence<byte>, TResult> read)
    {
        if (length <= KeptBufferLimit)
        {
            if (_kept is null || _kept.Length < length)
            {
                _kept = new byte[Math.Max(256, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)length))];
            }

            byte[] buffer = _kept;
            Transport.ReadMessage(buffer.AsSpan(0, length));
            return read(new ReadOnlySequence<byte>(buffer, 0, length));
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            Transport.ReadMessage(rented.AsSpan(0, length));
            return read(new ReadOnlySequence<byte>(rented, 0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private byte[]? _kept;
}
